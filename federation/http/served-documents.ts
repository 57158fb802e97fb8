import { canonicalShape } from "../objects/canonical-shape.ts";

/**
 * What Fedify serves from our object and collection dispatchers: the video
 * faces (`/notes/…`, `/videos/…`, the Create and Announce under them) and the
 * outboxes. The actor documents are built in our own shape and served as is.
 */
const SERVED_DOCUMENT_PATH = /^\/(?:(?:notes|videos)\/[^/]+(?:\/.*)?|users\/[^/]+\/outbox)$/;

/**
 * Fedify's answer, put in Haven's canonical shape (the same as what we
 * deliver: `to`/`cc`/`attachment` arrays, the full Public IRI), and a video's
 * `Tombstone` labelled 410 Gone: Fedify answers 200 for a `Tombstone` from an
 * *object* dispatcher (only actor dispatchers get 410 in 2.3.6), and Mastodon
 * and PeerTube treat 404/410 as "deleted" when they refresh an object.
 */
export async function servedDocument(path: string, response: Response): Promise<Response> {
  if (response.status !== 200 || !SERVED_DOCUMENT_PATH.test(path)) return response;
  const type = response.headers.get("content-type") ?? "";
  if (!/^application\/(?:activity|ld)\+json/i.test(type)) return response;
  const body = await response.text();
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return new Response(body, response); // not JSON: leave it as it is
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return new Response(body, response);
  }
  const json = document as Record<string, unknown>;
  const tombstone = json.type === "Tombstone";
  const shaped = canonicalShape(json);
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(shaped === json ? body : JSON.stringify(shaped), {
    status: tombstone ? 410 : 200,
    statusText: tombstone ? "Gone" : response.statusText,
    headers,
  });
}
