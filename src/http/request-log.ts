import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage } from "node:http";
import { getLogger } from "@logtape/logtape";
import type { Context, MiddlewareHandler } from "hono";

/** Shared and personal inboxes (the routes the federation layer registers). */
const INBOX_PATH = /^\/(?:inbox|users\/[^/]+\/inbox)$/;
/** `keyId="…"` (draft-cavage) or `keyid="…"` (RFC 9421 Signature-Input). */
const KEY_ID = /keyid="([^"]{1,500})"/i;
/** Enough of a refusal's body for its reason; the rest is never logged. */
const REASON_CHARS = 300;

interface RequestNotes {
  refusal?: string;
}

const notes = new AsyncLocalStorage<RequestNotes>();

/**
 * Attaches a reason to the inbox refusal being answered in this async
 * context (e.g. why a signature did not verify, which only the library's own
 * log record knows); the request's refusal line then names it.
 */
export function noteRefusal(reason: string): void {
  const current = notes.getStore();
  if (current) current.refusal = reason;
}

function remoteAddress(c: Context): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? "-";
}

async function bodyReason(response: Response): Promise<string> {
  try {
    const text = (await response.clone().text()).slice(0, REASON_CHARS);
    try {
      const json = JSON.parse(text) as { error?: unknown };
      if (typeof json.error === "string") return json.error;
    } catch {}
    return text.trim() || response.statusText;
  } catch {
    return response.statusText;
  }
}

/**
 * One line per request at `debug` (method, path, status, time, remote
 * address); a refused inbox POST (4xx: bad or missing signature, blocked
 * domain, malformed activity) at `info` with its reason, since that is what
 * an operator looks for when a remote server says its posts do not arrive.
 * The query string is never logged (it may carry a token).
 */
export function requestLog(): MiddlewareHandler {
  const logger = getLogger(["haven", "http"]);
  return async (c, next) => {
    const debug = logger.isEnabledFor("debug");
    const inbox = c.req.method === "POST" && INBOX_PATH.test(c.req.path);
    if (!debug && !(inbox && logger.isEnabledFor("info"))) return next();
    const started = performance.now();
    const remote = remoteAddress(c);
    const noted: RequestNotes = {};
    await notes.run(noted, next);
    const status = c.res.status;
    const props = {
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round(performance.now() - started),
      remote,
    };
    if (inbox && status >= 400 && status < 500) {
      const keyId =
        KEY_ID.exec(c.req.header("signature") ?? c.req.header("signature-input") ?? "")?.[1] ??
        "none";
      const reason = noted.refusal ?? (await bodyReason(c.res));
      logger.info("Refused {method} {path} from {remote} (key {keyId}): {status} {reason}", {
        ...props,
        keyId,
        reason,
      });
      return;
    }
    logger.debug("{method} {path} {status} {ms} ms {remote}", props);
  };
}
