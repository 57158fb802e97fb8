/** The full IRI of the public collection. */
export const PUBLIC_IRI = "https://www.w3.org/ns/activitystreams#Public";

/** Compact forms of the public collection that JSON-LD compaction produces. */
const PUBLIC_ALIASES = new Set(["as:Public", "Public", PUBLIC_IRI]);

/** Addressing: always arrays of IRIs (PeerTube's `isUrlCollectionValid`). */
const ADDRESSING = ["to", "cc", "bto", "bcc"] as const;

/** Properties Haven always sends as arrays, whatever their length. */
const ALWAYS_ARRAYS = ["attachment", "tag"] as const;

const ACTOR_TYPES = new Set(["Group", "Person", "Application", "Service", "Organization"]);

/** Where nested objects of an activity, a collection or a page sit. */
const NESTED = ["object", "orderedItems", "items", "first"] as const;

type Json = Record<string, unknown>;

/**
 * One wire shape for everything Haven sends and serves, whatever built it.
 *
 * JSON-LD compaction (Fedify's included) turns a one-element array into a
 * bare value and the public collection into `as:Public`. Both mean the same
 * in JSON-LD, but receivers read the JSON literally:
 * - PeerTube (6.x and later) drops an activity or object whose `to`/`cc` is
 *   a string (`isUrlCollectionValid`), and a Group whose `attributedTo` is
 *   not an array (it then has no owner account);
 * - `as:Public` is not a URL to PeerTube, and Mastodon only recognises the
 *   full IRI or `Public`/`as:Public` in some versions;
 * - the same Note fetched and delivered must look the same (`attachment`
 *   one element or many).
 *
 * Returns a new document; the input is not changed. An Object Integrity
 * Proof (FEP-8b32, over the exact JSON) no longer matches a reshaped
 * document, so it is dropped where the shape changed; a Linked Data
 * signature covers the RDF graph, which reshaping does not change, and is
 * kept. The HTTP signature of each delivery is made over the final body.
 */
export function canonicalShape<T extends Json>(document: T): T {
  return reshape(document).value as T;
}

function reshape(node: Json): { value: Json; changed: boolean } {
  let changed = false;
  const out: Json = { ...node };
  for (const key of ADDRESSING) {
    if (!(key in out) || out[key] == null) continue;
    const before = out[key];
    const after = toArray(before).map((v) =>
      typeof v === "string" && PUBLIC_ALIASES.has(v) ? PUBLIC_IRI : v,
    );
    if (!Array.isArray(before) || after.some((v, i) => v !== before[i])) changed = true;
    out[key] = after;
  }
  for (const key of ALWAYS_ARRAYS) {
    if (out[key] == null || Array.isArray(out[key])) continue;
    out[key] = [out[key]];
    changed = true;
  }
  if (
    typeof out.type === "string" &&
    ACTOR_TYPES.has(out.type) &&
    out.attributedTo != null &&
    !Array.isArray(out.attributedTo)
  ) {
    out.attributedTo = [out.attributedTo];
    changed = true;
  }
  for (const key of NESTED) {
    const value = out[key];
    if (Array.isArray(value)) {
      let nestedChanged = false;
      const items = value.map((item) => {
        if (!isObject(item)) return item;
        const r = reshape(item);
        nestedChanged ||= r.changed;
        return r.value;
      });
      if (nestedChanged) {
        out[key] = items;
        changed = true;
      }
    } else if (isObject(value)) {
      const r = reshape(value);
      if (r.changed) {
        out[key] = r.value;
        changed = true;
      }
    }
  }
  if (changed && "proof" in out) delete out.proof;
  return { value: changed ? out : node, changed };
}

function toArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
