import type { Federation } from "@fedify/fedify";
import type { Context as HonoContext, MiddlewareHandler, Next } from "hono";
import type { HavenContext } from "../context.ts";
import { authorizeFetch } from "../moderation/fetch-authorization.ts";
import { answerReplyApproval } from "../replies/reply-approval.ts";
import { answerVideoCollection } from "../videos/video-collections.ts";
import { answerWebFinger } from "../webfinger/handler.ts";
import type { ActorFastPath } from "./actor-fast-path.ts";
import type { GuardedInboxPost, InboxFastPath } from "./inbox-fast-path.ts";
import { guardInbox } from "./inbox-guard.ts";
import { servedDocument } from "./served-documents.ts";
import { type Admission, admitActivity, rememberAccepted } from "./undone-activities.ts";

/** Paths Fedify answers; everything else skips it (API and media stay fast). */
const FEDERATION_PATH =
  /^\/(?:\.well-known\/(?:webfinger|nodeinfo)|nodeinfo\/|users\/|inbox$|videos\/|notes\/)/;
const WEBFINGER_PATH = "/.well-known/webfinger";
const INBOX_PATH = /^\/(?:inbox|users\/[^/]+\/inbox)$/;

/**
 * Mounts Fedify in Hono (`@fedify/hono` is not in our registry). Browsers
 * asking for HTML fall through to the web routes; fediverse clients get
 * JSON-LD from Fedify at the same URL.
 */
export function federationMiddleware(
  federation: Federation<HavenContext>,
  contextData: HavenContext,
  options: {
    authorizedFetch?: () => Promise<boolean>;
    /** Accepts plain signed inbox POSTs without Fedify's inbox handler (ADR 0008). */
    inboxFastPath?: InboxFastPath;
    /** Serves cached actor documents without Fedify's request handling (S6). */
    actorFastPath?: ActorFastPath;
  } = {},
): MiddlewareHandler {
  const fastPath = options.inboxFastPath;
  const actorFastPath = options.actorFastPath;
  const enabled = options.authorizedFetch ?? (async () => false);
  return async (c: HonoContext, next: Next) => {
    const path = c.req.path;
    if (!FEDERATION_PATH.test(path)) return next();
    let request = c.req.raw;
    let learnFrom: GuardedInboxPost | null = null;
    let inbound: { post: GuardedInboxPost; admission: Admission } | null = null;
    if (path === WEBFINGER_PATH && (request.method === "GET" || request.method === "HEAD")) {
      // Public, one SELECT; unknown → the same fall-through as Fedify's onNotFound.
      const answer = await answerWebFinger(request, contextData);
      if (answer) return mergeVary(answer);
      await next();
      return mergeVary(c.res);
    }
    const handle = actorFastPath?.match(request) ?? null;
    // Authorized fetch checks signatures first: then Fedify answers, as before.
    if (actorFastPath && handle !== null && !(await enabled())) {
      const answer = await actorFastPath.answer(handle);
      if (answer) return answer;
    }
    if (request.method === "POST" && INBOX_PATH.test(path)) {
      const guarded = await guardInbox(federation, contextData, request);
      if (!guarded.ok) return guarded.response;
      // Fedify keys its processed marks by the origin a request came in on (ours, unless a
      // proxy rewrites it).
      const origins = [new URL(request.url).origin, contextData.config.publicUrl.origin];
      const admission = await admitActivity(contextData.db, guarded, origins);
      if (admission.kind === "replay") return replayIgnored(admission.undoneAt);
      inbound = { post: guarded, admission };
      if (fastPath) {
        const fast = await fastPath.accept(guarded, contextData.db);
        if (fast.accepted) {
          await rememberAccepted(contextData.db, guarded, admission);
          return mergeVary(fast.response);
        }
        if (fast.reason === "key-unknown" || fast.reason === "bad-signature") learnFrom = guarded;
      }
      request = guarded.request;
    } else {
      const refused = await authorizeFetch(request, { federation, contextData, enabled });
      if (refused) return refused;
      const collection =
        (await answerVideoCollection(request, path, contextData)) ??
        (await answerReplyApproval(request, path, contextData));
      if (collection) return collection;
    }
    const response = await federation.fetch(request, {
      contextData,
      onNotFound: async () => {
        await next();
        return c.res;
      },
      onNotAcceptable: async () => {
        await next();
        if (c.res.status !== 404) return mergeVary(c.res);
        return new Response("Not Acceptable", {
          status: 406,
          headers: { "Content-Type": "text/plain", Vary: "Accept" },
        });
      },
    });
    if (inbound && response.status >= 200 && response.status < 300) {
      await rememberAccepted(contextData.db, inbound.post, inbound.admission);
    }
    if (fastPath && learnFrom && response.status === 202) {
      // Once per key: later requests signed with it can take the fast path.
      await fastPath
        .learnFromSlowPath(learnFrom, federation.createContext(request, contextData))
        .catch(() => false);
    }
    return mergeVary(await servedDocument(path, response));
  };
}

/**
 * A copy of an activity that was undone after this copy was signed: a
 * replay (or a retry overtaken by its own Undo). 202 like any duplicate, so
 * the sender does not retry; nothing is processed. Answered before the
 * signature is checked: such a copy is ignored whether its signature holds
 * or not, and nothing is stored either way.
 */
function replayIgnored(undoneAt: number): Response {
  const text = `Ignored: this activity was undone at ${new Date(undoneAt).toISOString()}, after this request was signed.`;
  return new Response(text, {
    status: 202,
    headers: { "Content-Type": "text/plain; charset=utf-8", Vary: "Accept" },
  });
}

function mergeVary(response: Response): Response {
  const vary = response.headers.get("Vary");
  if (vary?.toLowerCase().includes("accept")) return response;
  const value = vary ? `${vary}, Accept` : "Accept";
  try {
    // In place: a new Response around `response.body` is a stream, which takes
    // @hono/node-server off its fast path (bench/, S5 WebFinger).
    response.headers.set("Vary", value);
    return response;
  } catch {
    // immutable headers (e.g. a fetched response): copy as below
  }
  const headers = new Headers(response.headers);
  headers.set("Vary", value);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
