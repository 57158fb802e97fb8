import { and, desc, eq, lt, ne } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { supportVideos, videoCaptions } from "../db/schema/index.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import type { BackgroundJobs } from "../jobs/jobs.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { MediaStorage } from "../media/storage.ts";
import { videoFileKey } from "./video-files.ts";
import type { VideoMetadata } from "./video-metadata.ts";

import type { SupportVideo } from "./video-queries.ts";

export type { SupportVideo, VideoCaption } from "./video-queries.ts";
// One implementation of the lookups, under the names the HTTP edge uses.
export {
  findSupportVideo as findVideo,
  listVideoCaptions as listCaptions,
} from "./video-queries.ts";

export const videoKeys = (id: string) => ({
  prefix: `videos/${id}/`,
  /** Unique across videos: PeerTube stores remote files by name (video-files.ts). */
  video: (height: number) => videoFileKey(id, height),
  poster: `videos/${id}/poster.jpg`,
  caption: (language: string) => `videos/${id}/captions/${language.toLowerCase()}.vtt`,
});

export interface NewVideo {
  channelId: string;
  uploaderAccountId: string;
  metadata: VideoMetadata;
  stagedPath: string;
  captions: { language: string; path: string }[];
}

/**
 * Stores the video as `processing` and, in the same transaction, queues the
 * job that makes it playable. Followers hear of it only after processing.
 */
export async function createVideo(
  db: Db,
  jobs: BackgroundJobs,
  input: NewVideo,
): Promise<SupportVideo> {
  return db.transaction(async (tx) => {
    const [video] = await tx
      .insert(supportVideos)
      .values({
        channelId: input.channelId,
        uploaderAccountId: input.uploaderAccountId,
        ...input.metadata,
        state: "processing",
      })
      .returning();
    await jobs.enqueue(tx, {
      type: "video.process",
      videoId: video!.id,
      stagedPath: input.stagedPath,
      captions: input.captions,
    });
    return video!;
  });
}

/** A channel's videos, newest first. `includeUnpublished` for the channel's managers. */
export async function listChannelVideos(
  db: Db,
  channelId: string,
  options: { limit?: number; before?: Date; includeUnpublished?: boolean } = {},
): Promise<SupportVideo[]> {
  const conditions = [eq(supportVideos.channelId, channelId), ne(supportVideos.state, "deleted")];
  if (!options.includeUnpublished) conditions.push(eq(supportVideos.state, "published"));
  if (options.before) conditions.push(lt(supportVideos.createdAt, options.before));
  return db
    .select()
    .from(supportVideos)
    .where(and(...conditions))
    .orderBy(desc(supportVideos.createdAt))
    .limit(Math.min(Math.max(options.limit ?? 20, 1), 100));
}

/** Edits metadata; a published video's followers get an Update. */
export async function updateVideo(
  db: Db,
  events: OutboundEvents,
  video: SupportVideo,
  patch: Partial<VideoMetadata>,
): Promise<Result<SupportVideo>> {
  if (video.state === "deleted") return err("not_found", "video not found");
  const changed = changedMetadata(video, patch);
  // Nothing to store and nothing to tell followers (Mastodon would mark the post "edited").
  if (changed.length === 0) return ok(video);
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(supportVideos)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(supportVideos.id, video.id))
      .returning();
    if (!updated) return err("not_found", "video not found");
    if (updated.state === "published") {
      await events.record(tx, { type: "video.updated", videoId: updated.id, changed });
    }
    return ok(updated);
  });
}

/**
 * Takes the video down: the row stays as a tombstone (its URL answers 410),
 * media files go, and followers get a Delete if they ever saw it.
 */
export async function deleteVideo(
  db: Db,
  events: OutboundEvents,
  storage: MediaStorage,
  video: SupportVideo,
  owner: { channelId: string; ownerActorId: string },
): Promise<Result<void>> {
  if (video.state === "deleted") return err("not_found", "video not found");
  await db.transaction(async (tx) => {
    await tx
      .update(supportVideos)
      .set({
        state: "deleted",
        deletedAt: new Date(),
        updatedAt: new Date(),
        mediaKey: null,
        posterKey: null,
        blurhash: null,
        compactRendition: null,
      })
      .where(eq(supportVideos.id, video.id));
    await tx.delete(videoCaptions).where(eq(videoCaptions.videoId, video.id));
    if (video.state === "published") {
      await events.record(tx, {
        type: "video.deleted",
        videoId: video.id,
        channelId: owner.channelId,
        ownerActorId: owner.ownerActorId,
      });
    }
  });
  await storage.deletePrefix(videoKeys(video.id).prefix);
  return ok(undefined);
}

/** The fields of `patch` whose value differs from the video's. */
function changedMetadata(
  video: SupportVideo,
  patch: Partial<VideoMetadata>,
): (keyof VideoMetadata)[] {
  return (Object.keys(patch) as (keyof VideoMetadata)[]).filter((key) => {
    const next = patch[key];
    const current = video[key];
    if (next === undefined) return false;
    if (Array.isArray(next) && Array.isArray(current)) {
      return next.length !== current.length || next.some((v, i) => v !== current[i]);
    }
    return next !== current;
  });
}
