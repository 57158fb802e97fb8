import type { IncomingMessage } from "node:http";
import {
  type DestinationPolicy,
  exemptList,
  type ResolveHost,
  resolveDestination,
  systemResolveHost,
} from "./destination.ts";
import {
  type Agents,
  canDecode,
  createAgents,
  readBody,
  responseHeaders,
  sendHop,
} from "./http-hop.ts";
import { SafeFetchError } from "./safe-fetch-error.ts";

/** Mastodon's numbers: ~10 s per remote call, 1 MiB of JSON, a few redirects. */
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;

export interface SafeFetchOptions {
  /** Only for tests and closed networks (ALLOW_PRIVATE_ADDRESS). */
  readonly allowPrivateAddress: boolean;
  readonly userAgent: string;
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly maxRedirects?: number;
  /** Host name resolution; defaults to the system resolver (`dns.lookup`). */
  readonly resolve?: ResolveHost;
  /** Exact IPs allowed even though private (see `DestinationPolicy.exempt`). */
  readonly exemptAddresses?: readonly string[];
}

export interface SafeFetchInit {
  readonly method?: string;
  readonly headers?: HeadersInit;
  readonly body?: string | Uint8Array | null;
  /** The caller's cancellation; aborting rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** Deadline for the whole call, every hop and the body read included. */
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly maxRedirects?: number;
  /**
   * Called for every hop (the first request and each redirect) with the
   * request about to be sent; the headers of the returned request are sent.
   * This is where HTTP signatures go, since they cover the URL of each hop.
   */
  readonly prepareRequest?: (request: Request) => Request | Promise<Request>;
}

export interface SafeResponse {
  /** Status, headers and the fully read, size-capped (and decoded) body. */
  readonly response: Response;
  /** The URL the response came from, after redirects. */
  readonly url: string;
  readonly redirects: number;
}

export interface SafeFetch {
  (input: string | URL, init?: SafeFetchInit): Promise<SafeResponse>;
  /**
   * Checks scheme and addresses of `url` under this fetcher's policy without
   * connecting — for requests another client must make (e.g. deliveries).
   */
  validate(url: string | URL, signal?: AbortSignal): Promise<void>;
  /** Closes pooled keep-alive connections. */
  close(): void;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
/** Request headers that must not survive a hop to another origin. */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/**
 * The one way Haven fetches a URL a remote party gave it: http(s) only, every
 * hop resolved and checked against private addresses, the connection pinned
 * to the checked address, redirects bounded, one deadline for the whole call,
 * and the body capped while it streams.
 */
export function createSafeFetch(options: SafeFetchOptions): SafeFetch {
  const policy: DestinationPolicy = {
    allowPrivateAddress: options.allowPrivateAddress,
    resolve: options.resolve ?? systemResolveHost,
    exempt: exemptList(options.exemptAddresses),
  };
  const agents = createAgents();
  const defaults = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
  };

  async function safeFetch(input: string | URL, init: SafeFetchInit = {}): Promise<SafeResponse> {
    const deadline = AbortSignal.timeout(init.timeoutMs ?? defaults.timeoutMs);
    const signal = init.signal === undefined ? deadline : AbortSignal.any([deadline, init.signal]);
    const url = typeof input === "string" ? input : input.href;
    try {
      return await follow(parseUrl(url), init, signal, policy, agents, {
        maxBodyBytes: init.maxBodyBytes ?? defaults.maxBodyBytes,
        maxRedirects: init.maxRedirects ?? defaults.maxRedirects,
        userAgent: options.userAgent,
      });
    } catch (error) {
      if (deadline.aborted) {
        throw new SafeFetchError("timeout", url, "Deadline exceeded", { cause: error });
      }
      if (init.signal?.aborted) throw init.signal.reason;
      if (error instanceof SafeFetchError) throw error;
      throw new SafeFetchError("network", url, `Request failed (${describe(error)})`, {
        cause: error,
      });
    }
  }

  return Object.assign(safeFetch, {
    async validate(url: string | URL, signal?: AbortSignal): Promise<void> {
      await resolveDestination(parseUrl(typeof url === "string" ? url : url.href), policy, signal);
    },
    close(): void {
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}

interface Limits {
  readonly maxBodyBytes: number;
  readonly maxRedirects: number;
  readonly userAgent: string;
}

async function follow(
  start: URL,
  init: SafeFetchInit,
  signal: AbortSignal,
  policy: DestinationPolicy,
  agents: Agents,
  limits: Limits,
): Promise<SafeResponse> {
  let url = start;
  let method = (init.method ?? "GET").toUpperCase();
  let body =
    typeof init.body === "string" ? new TextEncoder().encode(init.body) : (init.body ?? null);
  const headers = new Headers(init.headers);
  if (!headers.has("user-agent")) headers.set("user-agent", limits.userAgent);
  if (!headers.has("accept-encoding")) headers.set("accept-encoding", "gzip, br");
  const visited = new Set<string>();
  for (let redirects = 0; ; redirects++) {
    visited.add(url.href);
    const addresses = await resolveDestination(url, policy, signal);
    const hopHeaders = await prepare(url, method, headers, body, init.prepareRequest);
    const response = await sendHop(
      { url, method, headers: hopHeaders, body, addresses, signal },
      agents,
    );
    const location = response.headers.location;
    if (REDIRECT_STATUSES.has(response.statusCode ?? 0) && location !== undefined) {
      response.destroy(); // a redirect body is never needed; don't read it
      if (redirects >= limits.maxRedirects) {
        throw new SafeFetchError(
          "too-many-redirects",
          url.href,
          `More than ${limits.maxRedirects} redirects`,
        );
      }
      const next = parseRedirect(location, url);
      if (visited.has(next.href)) {
        throw new SafeFetchError("too-many-redirects", url.href, `Redirect loop via ${next.href}`);
      }
      // Same rules as fetch(): 303 (and 301/302 after a POST) become a GET.
      const status = response.statusCode ?? 0;
      if ((status === 303 && method !== "HEAD") || (status <= 302 && method === "POST")) {
        method = "GET";
        body = null;
        headers.delete("content-type");
      }
      if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      url = next;
      continue;
    }
    return { response: await toResponse(response, url, method, limits), url: url.href, redirects };
  }
}

async function prepare(
  url: URL,
  method: string,
  headers: Headers,
  body: Uint8Array | null,
  prepareRequest: SafeFetchInit["prepareRequest"],
): Promise<Headers> {
  if (prepareRequest === undefined) return new Headers(headers);
  const request = new Request(url, {
    method,
    headers,
    body: body === null ? null : new Uint8Array(body),
  });
  return new Headers((await prepareRequest(request)).headers);
}

async function toResponse(
  message: IncomingMessage,
  url: URL,
  method: string,
  limits: Limits,
): Promise<Response> {
  const status = message.statusCode ?? 0;
  if (status < 200 || status > 599) {
    message.destroy();
    throw new SafeFetchError("network", url.href, `Unusable HTTP status ${status}`);
  }
  const headers = responseHeaders(message);
  const declared = Number(headers.get("content-length") ?? Number.NaN);
  if (declared > limits.maxBodyBytes) {
    message.destroy();
    throw new SafeFetchError(
      "too-large",
      url.href,
      `Declared body of ${declared} bytes exceeds ${limits.maxBodyBytes}`,
    );
  }
  let body: Uint8Array | null = null;
  if (method === "HEAD" || NULL_BODY_STATUSES.has(status)) {
    message.resume();
  } else {
    body = await readBody(message, url.href, limits.maxBodyBytes);
    if (canDecode(headers.get("content-encoding"))) {
      // The body is decoded now; the old encoding and length would lie.
      headers.delete("content-encoding");
      headers.delete("content-length");
    }
  }
  const statusText = /^[\t\x20-\x7e]*$/.test(message.statusMessage ?? "")
    ? message.statusMessage
    : "";
  return new Response(body === null ? null : new Uint8Array(body), { status, statusText, headers });
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new SafeFetchError("scheme", url, "Not a valid URL", { cause: error });
  }
  // Credentials in a remote-supplied URL are never sent anywhere.
  parsed.username = "";
  parsed.password = "";
  parsed.hash = "";
  return parsed;
}

function parseRedirect(location: string, base: URL): URL {
  try {
    return parseUrl(new URL(location, base).href);
  } catch (error) {
    throw new SafeFetchError("network", base.href, "Unusable redirect Location", { cause: error });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${code}: ${error.message}`;
  }
  return String(error);
}
