import { domainToASCII } from "node:url";
import { HANDLE_PATTERN } from "../../src/actors/handle.ts";

/** What a WebFinger `resource` names, once it is known to be on our server. */
export type WebFingerTarget =
  /** `acct:NAME@HOST` (or a bare `NAME@HOST`): the subject is `acct:NAME@HOST` as asked. */
  | { kind: "acct"; username: string; host: string }
  /** An actor URL (`/users/NAME`) or profile page (`/@NAME`): the subject is the URL. */
  | { kind: "url"; url: URL; identifier: string; isActorUri: boolean };

export type ParsedResource =
  | { ok: true; target: WebFingerTarget }
  | { ok: false; status: 400; message: string }
  /** Well formed, but not one of ours (another host, another path). */
  | { ok: false; status: 404 };

export interface OurNames {
  readonly hosts: readonly string[];
  readonly origins: readonly string[];
}

const ACCT = /^acct:([^@]+)@([^@]+)$/;
const BARE_ACCT = /^@?([^@:/\s]+)@([^@/\s]+)$/;
const ACTOR_PATH = /^\/users\/([^/]+)$/;
const PROFILE_PATH = /^\/@([^/]+)$/;

/**
 * Parses `resource` as Fedify 2.3.6's WebFinger handler does (same 400
 * texts, same host normalisation), plus two forms it answers 404/400 to and
 * Mastodon accepts: a bare `NAME@HOST` and the profile page `/@NAME`.
 * `ours` are the hosts (`host[:port]`, lower case) and origins we answer for:
 * PUBLIC_URL's and the request's own, as Fedify does.
 */
export function parseResource(resource: string | null, ours: OurNames): ParsedResource {
  if (resource === null) return { ok: false, status: 400, message: "Missing resource parameter." };
  let url: URL | null = null;
  try {
    url = new URL(resource);
  } catch {}
  if (url === null || url.protocol === "acct:") {
    const m = ACCT.exec(resource) ?? (url === null ? BARE_ACCT.exec(resource) : null);
    if (m === null) {
      return url === null
        ? { ok: false, status: 400, message: "Invalid resource URL." }
        : { ok: false, status: 404 };
    }
    const host = normalizeHost(m[2] as string);
    if (!ours.hosts.includes(host)) return { ok: false, status: 404 };
    return { ok: true, target: { kind: "acct", username: m[1] as string, host } };
  }
  if (!ours.origins.includes(url.origin)) return { ok: false, status: 404 };
  const actor = ACTOR_PATH.exec(url.pathname);
  if (actor) {
    const identifier = decodeSegment(actor[1] as string);
    if (identifier === null) return { ok: false, status: 404 };
    return { ok: true, target: { kind: "url", url, identifier, isActorUri: true } };
  }
  const page = PROFILE_PATH.exec(url.pathname);
  if (page) {
    const identifier = decodeSegment(page[1] as string);
    if (identifier === null) return { ok: false, status: 404 };
    return { ok: true, target: { kind: "url", url, identifier, isActorUri: false } };
  }
  return { ok: false, status: 404 };
}

/** Lower case, IDNA to ASCII, port kept (Fedify's normalisation). */
function normalizeHost(host: string): string {
  const port = /:\d+$/.exec(host);
  if (port === null) return domainToASCII(host.toLowerCase());
  return domainToASCII(host.substring(0, port.index).toLowerCase()) + port[0];
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The handle a username names, or null when no actor can have it. */
export function handleOf(username: string): string | null {
  const handle = username.toLowerCase();
  return HANDLE_PATTERN.test(handle) ? handle : null;
}
