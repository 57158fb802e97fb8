import { cleanDisplayName } from "./sanitize-html.ts";

const HANDLE = /^([^@\s/]+)@([^@\s/]+)$/;

/**
 * The `user@host` to show beside a remote author's display name: the handle
 * we resolved (WebFinger may name a domain other than the actor's host), or,
 * when that is missing or malformed, the username at the host the actor's
 * IRI is really on.
 */
export function displayHandle(handle: string, actorIri: string): string {
  const cleaned = cleanDisplayName(handle, 300).replace(/^@/, "");
  if (HANDLE.test(cleaned)) return cleaned;
  const user = /^([^@\s/]+)@?/.exec(cleaned)?.[1];
  const host = URL.canParse(actorIri) ? new URL(actorIri).host : "";
  return user && host ? `${user}@${host}` : actorIri;
}
