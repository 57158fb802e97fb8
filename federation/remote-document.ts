/**
 * Checks on a fetched remote document, kept apart from the loader so they can
 * be read (and tested) on their own.
 */

/** What we ask for when fetching an ActivityPub object. */
export const ACTIVITYPUB_ACCEPT =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

/** What we ask for when fetching a JSON-LD context. */
export const CONTEXT_ACCEPT = "application/ld+json, application/json;q=0.9";

/** `type/subtype` of a Content-Type header, lowercased, without parameters. */
export function mediaType(contentType: string | null): string | null {
  if (contentType === null) return null;
  const essence = contentType.split(";", 1)[0]?.trim().toLowerCase();
  return essence === undefined || essence === "" ? null : essence;
}

/**
 * Only these are ActivityPub (SECURITY.md #18, Mastodon CVE-2024-25623).
 * `application/ld+json` is accepted with any profile, as Fedify does; a
 * missing type, `application/json`, `text/html` or `text/plain` is not — and
 * an HTML page's `<link rel="alternate">` is never followed
 * (GHSA-97w4-f4rq-mgqm).
 */
export function isActivityPubMediaType(contentType: string | null): boolean {
  const type = mediaType(contentType);
  return type === "application/activity+json" || type === "application/ld+json";
}

/** JSON-LD contexts are commonly served as plain JSON, so that is allowed. */
export function isContextMediaType(contentType: string | null): boolean {
  const type = mediaType(contentType);
  return isActivityPubMediaType(contentType) || type === "application/json";
}

export type JsonObject = Record<string, unknown>;

/** Parses a JSON object; arrays, scalars and invalid JSON give `null`. */
export function parseJsonObject(text: string): JsonObject | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : null;
}

/** The document's own `id` (or `@id`), when it is a string. */
export function documentId(document: JsonObject): string | null {
  const id = document.id ?? document["@id"];
  return typeof id === "string" ? id : null;
}

/**
 * Whether `id` names the document at `url`. Fragments are ignored on both
 * sides: a key id `…/users/alice#main-key` is served by `…/users/alice`, and
 * the fetcher never sends a fragment.
 */
export function sameDocument(id: string, url: string): boolean {
  const a = parseHttpUrl(id);
  const b = parseHttpUrl(url);
  if (a === null || b === null) return false;
  a.hash = "";
  b.hash = "";
  return a.href === b.href;
}

export function parseHttpUrl(value: string): URL | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  return url.protocol === "https:" || url.protocol === "http:" ? url : null;
}
