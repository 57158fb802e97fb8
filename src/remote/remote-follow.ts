import { isIP } from "node:net";
import type { SafeFetch } from "../net/safe-fetch.ts";
import { isSafeFetchError } from "../net/safe-fetch-error.ts";

/**
 * The link relation Mastodon, PeerTube, Misskey and Pleroma publish in
 * WebFinger for "interact with this URI from here" (an OStatus leftover every
 * one of them still serves): `{"rel": SUBSCRIBE_REL, "template": ".../authorize_interaction?uri={uri}"}`.
 */
export const SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe";

/** A person waits on this page: a slow server gets the error, not a hung tab. */
const LOOKUP_TIMEOUT_MS = 5_000;
/** A JRD is a few hundred bytes; this is plenty. */
const MAX_JRD_BYTES = 64 * 1024;

/** Where the visitor typed their home server: `you@your.instance` or `your.instance`. */
export interface RemoteInstance {
  /** `host[:port]`, lower-case, IDNs in punycode. */
  readonly host: string;
  /**
   * Who to ask WebFinger about: the visitor's account, or for a bare domain
   * the instance actor `acct:your.instance@your.instance`, which Mastodon
   * serves (with the subscribe template) for every instance.
   */
  readonly acct: string;
}

export type RemoteFollowError =
  /** Not `you@your.instance` nor a domain. */
  | "invalid"
  /** The domain is, or resolves to, a loopback / private address (refused before connecting). */
  | "private"
  /** No answer at all: DNS, connection, TLS, timeout. */
  | "unreachable";

export type RemoteFollowResult =
  | { readonly ok: true; readonly url: string; readonly via: "template" | "fallback" }
  | { readonly ok: false; readonly error: RemoteFollowError };

const USER = /^[A-Za-z0-9_.-]{1,100}$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Parses what the visitor typed; null when it is neither a handle nor a domain. */
export function parseRemoteInstance(input: string): RemoteInstance | null {
  let text = input.trim().replace(/^@/, "");
  // A pasted address bar (`https://mastodon.social/home`) means its server.
  const pasted = /^https?:\/\/([^/?#]+)/i.exec(text);
  if (pasted) text = pasted[1] ?? "";
  const at = text.lastIndexOf("@");
  const user = at >= 0 ? text.slice(0, at) : null;
  const domain = at >= 0 ? text.slice(at + 1) : text;
  if (user !== null && !USER.test(user)) return null;
  // A path, a query or credentials would be dropped or moved by the URL parser: not a domain.
  if (domain.length === 0 || /[/?#@\\\s]/.test(domain)) return null;
  let url: URL;
  try {
    url = new URL(`https://${domain}/`);
  } catch {
    return null;
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(hostname) !== 0) {
    // Only an address written as one: the URL parser reads `1234` as 0.0.4.210.
    if (domain.toLowerCase().replace(/:\d+$/, "") !== url.hostname) return null;
  } else {
    const labels = hostname.split(".");
    // A single label (`localhost`, `intranet`) is no fediverse server's name.
    if (labels.length < 2 || hostname.length > 253 || !labels.every((l) => LABEL.test(l)))
      return null;
  }
  return { host: url.host, acct: `acct:${user ?? url.host}@${url.host}` };
}

/** `template` with `{uri}` filled in, if the result is a web address we may send a browser to. */
function fillTemplate(template: string, uri: string, allowHttp: boolean): string | null {
  if (!template.includes("{uri}")) return null;
  let url: URL;
  try {
    url = new URL(template.replaceAll("{uri}", encodeURIComponent(uri)));
  } catch {
    return null;
  }
  // Never a `javascript:` or `data:` redirect, whatever a remote server publishes.
  if (url.protocol === "https:" || (allowHttp && url.protocol === "http:")) return url.href;
  return null;
}

function subscribeTemplate(jrd: unknown): string | null {
  const links = (jrd as { links?: unknown } | null)?.links;
  if (!Array.isArray(links)) return null;
  for (const link of links) {
    const { rel, template } = (link ?? {}) as { rel?: unknown; template?: unknown };
    if (rel === SUBSCRIBE_REL && typeof template === "string") return template;
  }
  return null;
}

/**
 * Where to send a visitor who wants to follow `uri` (our channel's actor id)
 * from their own server: that server's subscribe template, found by WebFinger
 * through the safe fetcher; when the server answers but publishes none, its
 * `/authorize_interaction?uri=` page, which Mastodon (and Hackers' Pub,
 * Akkoma's compatible route) serve. Plain http is tried only where private
 * addresses are allowed (tests and closed networks), as everywhere else.
 */
export async function resolveRemoteFollow(
  safeFetch: SafeFetch,
  instance: RemoteInstance,
  uri: string,
  options: { allowHttp: boolean },
): Promise<RemoteFollowResult> {
  const schemes = options.allowHttp ? ["https", "http"] : ["https"];
  for (const scheme of schemes) {
    const origin = `${scheme}://${instance.host}`;
    let template: string | null = null;
    try {
      const { response } = await safeFetch(
        `${origin}/.well-known/webfinger?resource=${encodeURIComponent(instance.acct)}`,
        {
          headers: { Accept: "application/jrd+json, application/json" },
          timeoutMs: LOOKUP_TIMEOUT_MS,
          maxBodyBytes: MAX_JRD_BYTES,
        },
      );
      if (response.ok) template = subscribeTemplate(await response.json().catch(() => null));
    } catch (error) {
      if (isSafeFetchError(error, "private-address") || isSafeFetchError(error, "scheme")) {
        return { ok: false, error: "private" };
      }
      // Too big or a redirect loop is still a server that answered: fall back below.
      if (!isSafeFetchError(error, "too-large") && !isSafeFetchError(error, "too-many-redirects"))
        continue;
    }
    const filled = template === null ? null : fillTemplate(template, uri, options.allowHttp);
    if (filled) return { ok: true, url: filled, via: "template" };
    return {
      ok: true,
      url: `${origin}/authorize_interaction?uri=${encodeURIComponent(uri)}`,
      via: "fallback",
    };
  }
  return { ok: false, error: "unreachable" };
}
