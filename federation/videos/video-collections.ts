import { countVideoComments } from "../../src/comments/comment.service.ts";
import { countReactions } from "../../src/comments/reaction.service.ts";
import { findSupportVideo } from "../../src/videos/video-queries.ts";
import type { HavenContext } from "../context.ts";

const COLLECTION_PATH = /^\/videos\/([^/]+)\/(likes|dislikes|shares|comments)$/;

export const VIDEO_COLLECTIONS = ["likes", "dislikes", "shares", "comments"] as const;

/**
 * The `likes`, `dislikes`, `shares` and `comments` collections a PeerTube
 * Video links to. PeerTube 6.3 reads them after every import and update: it
 * stores `likes.totalItems` and `dislikes.totalItems` as the video's rates
 * (a missing collection makes that step fail, and comments and shares are
 * then never synchronised), and crawls `shares` and `comments`.
 *
 * Counts only; no items. PeerTube fetches every listed comment from its
 * origin and needs its thread to end at a Video, which a Mastodon reply to
 * our Note does not; and after a crawl it removes the remote comments the
 * crawl did not list, never those of its own users. Listing nothing keeps
 * PeerTube's own users' comments and shows no reply that moderators here
 * have not approved. Haven stores no dislikes: 0.
 */
export async function answerVideoCollection(
  request: Request,
  path: string,
  contextData: HavenContext,
): Promise<Response | null> {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const match = COLLECTION_PATH.exec(path);
  if (!match?.[1] || !match[2]) return null;
  const video = await findSupportVideo(contextData.db, match[1]);
  if (!video || (video.state !== "published" && video.state !== "deleted")) {
    return new Response("Not Found", { status: 404, headers: { "Content-Type": "text/plain" } });
  }
  if (video.state === "deleted") {
    return new Response("Gone", { status: 410, headers: { "Content-Type": "text/plain" } });
  }
  const kind = match[2];
  let totalItems = 0;
  if (kind === "likes" || kind === "shares") {
    const counts = await countReactions(contextData.db, video.id);
    totalItems = kind === "likes" ? counts.likes : counts.announces;
  } else if (kind === "comments") {
    totalItems = await countVideoComments(contextData.db, video.id, ["visible"]);
  }
  const id = new URL(path, contextData.config.publicUrl.origin).href;
  const body = {
    "@context": "https://www.w3.org/ns/activitystreams",
    id,
    type: "OrderedCollection",
    totalItems,
    orderedItems: [],
  };
  return new Response(request.method === "HEAD" ? null : JSON.stringify(body), {
    headers: { "Content-Type": "application/activity+json", Vary: "Accept" },
  });
}
