import type { Context } from "@fedify/fedify";
import { findCommentByIri, type VideoComment } from "../../src/comments/comment.service.ts";
import { findVideo, type SupportVideo } from "../../src/videos/video.service.ts";
import type { HavenContext } from "../context.ts";

/**
 * The two faces of a video that replies, likes and boosts point at: the
 * Note at `/notes/<uuid>` (Mastodon) and the Video at `/videos/<uuid>`
 * (PeerTube), both on our origin.
 */
const VIDEO_OBJECT_PATH =
  /^\/(?:notes|videos)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export function videoIdOfObjectIri(ctx: Context<HavenContext>, iri: URL): string | null {
  if (iri.origin !== ctx.canonicalOrigin || iri.search !== "" || iri.hash !== "") return null;
  return VIDEO_OBJECT_PATH.exec(iri.pathname)?.[1]?.toLowerCase() ?? null;
}

/** Our published video named by its Note or Video id; null for anything else. */
export async function publishedVideoOfIri(
  ctx: Context<HavenContext>,
  iri: URL | null,
): Promise<SupportVideo | null> {
  if (iri == null) return null;
  const id = videoIdOfObjectIri(ctx, iri);
  if (!id) return null;
  const video = await findVideo(ctx.data.db, id);
  return video?.state === "published" ? video : null;
}

export interface ReplyTarget {
  video: SupportVideo;
  /** The stored comment replied to, for a reply in a thread. */
  parent: VideoComment | null;
}

/**
 * What a reply's `inReplyTo` names: one of our videos, or a comment we hold
 * on one (a thread). Replies to anything else are not ours to keep.
 */
export async function resolveReplyTarget(
  ctx: Context<HavenContext>,
  inReplyTo: URL | null,
): Promise<ReplyTarget | null> {
  if (inReplyTo == null) return null;
  const video = await publishedVideoOfIri(ctx, inReplyTo);
  if (video) return { video, parent: null };
  const parent = await findCommentByIri(ctx.data.db, inReplyTo.href);
  if (parent?.video.state !== "published") return null;
  return { video: parent.video, parent: parent.comment };
}
