const VIDEO_OBJECT_PATH = /^\/(?:notes|videos)\/[^/]+$/;

/**
 * Fedify answers 200 for a `Tombstone` returned by an *object* dispatcher
 * (only actor dispatchers get 410 in 2.3.6). Mastodon and PeerTube treat
 * 404/410 as "deleted" when they refresh an object, so a video's Tombstone is
 * re-labelled 410 Gone here, body unchanged.
 */
export async function goneIfTombstone(path: string, response: Response): Promise<Response> {
  if (response.status !== 200 || !VIDEO_OBJECT_PATH.test(path)) return response;
  const type = response.headers.get("content-type") ?? "";
  if (!/^application\/(?:activity|ld)\+json/i.test(type)) return response;
  const body = await response.text();
  let tombstone = false;
  try {
    tombstone = (JSON.parse(body) as { type?: unknown } | null)?.type === "Tombstone";
  } catch {
    // not JSON: leave it as it is
  }
  return new Response(body, {
    status: tombstone ? 410 : 200,
    statusText: tombstone ? "Gone" : response.statusText,
    headers: response.headers,
  });
}
