import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { VideoRendition } from "../db/schema/index.ts";
import { supportVideos, videoCaptions } from "../db/schema/index.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import type { BackgroundJob } from "../jobs/jobs.ts";
import { imageBlurhash } from "../media/blurhash.ts";
import type { MediaBinaries } from "../media/media-tools.ts";
import { makePoster } from "../media/poster.ts";
import type { ProbeResult } from "../media/probe.ts";
import { probe } from "../media/probe.ts";
import { encodeUnderSize } from "../media/size-capped.ts";
import type { MediaStorage } from "../media/storage.ts";
import { toWebPlayable } from "../media/transcode.ts";
import { videoKeys } from "./video.service.ts";
import { REMOTE_MEDIA_LIMIT_BYTES } from "./video-files.ts";

export interface ProcessingDeps {
  db: Db;
  events: OutboundEvents;
  storage: MediaStorage;
  /** Scratch space for ffmpeg output (same filesystem as staging, ideally). */
  workDir: string;
  binaries?: MediaBinaries;
  /**
   * A processed file over this gets a compact rendition for posts; default
   * REMOTE_MEDIA_LIMIT_BYTES (Mastodon's). Tests pass a small one.
   */
  remoteMediaLimitBytes?: number;
  log?: (message: string, properties: Record<string, unknown>) => void;
}

async function markFailed(db: Db, videoId: string, reason: string): Promise<void> {
  await db
    .update(supportVideos)
    .set({ state: "failed", failureReason: reason, updatedAt: new Date() })
    .where(and(eq(supportVideos.id, videoId), eq(supportVideos.state, "processing")));
}

async function removeStaged(job: Extract<BackgroundJob, { type: "video.process" }>) {
  await Promise.all(
    [job.stagedPath, ...job.captions.map((c) => c.path)].map((p) => rm(p, { force: true })),
  );
}

/**
 * The background job: probe, poster, web-playable MP4, then publish and queue
 * the federation event in one transaction. Idempotent: a job retried after a
 * crash finds the video no longer `processing` and only cleans up. An
 * expected media failure marks the video failed with a reason its creator
 * sees; an unexpected error throws so the queue retries it.
 */
export async function processVideo(
  deps: ProcessingDeps,
  job: Extract<BackgroundJob, { type: "video.process" }>,
): Promise<void> {
  const [video] = await deps.db
    .select()
    .from(supportVideos)
    .where(eq(supportVideos.id, job.videoId));
  if (video?.state !== "processing") {
    await removeStaged(job);
    return;
  }
  const scratch = await mkdtemp(join(deps.workDir, "process-"));
  try {
    const tools = deps.binaries ? { binaries: deps.binaries } : {};
    const source = await probe(job.stagedPath, tools);
    if (!source.ok) {
      deps.log?.("Video {videoId} failed: {detail}", {
        videoId: video.id,
        detail: source.error.detail,
      });
      await markFailed(deps.db, video.id, source.error.message);
      await removeStaged(job);
      return;
    }
    const mp4 = join(scratch, "video.mp4");
    const playable = await toWebPlayable(job.stagedPath, mp4, { ...tools, source: source.value });
    if (!playable.ok) {
      deps.log?.("Video {videoId} failed: {detail}", {
        videoId: video.id,
        detail: playable.error.detail,
      });
      await markFailed(deps.db, video.id, playable.error.message);
      await removeStaged(job);
      return;
    }
    const jpg = join(scratch, "poster.jpg");
    const poster = await makePoster(mp4, jpg, { ...tools, source: playable.value.output });
    if (!poster.ok) {
      await markFailed(deps.db, video.id, poster.error.message);
      await removeStaged(job);
      return;
    }
    // Computed once here: Mastodon shows it behind a content warning (or when it refuses the media).
    const blurhash = await imageBlurhash(jpg, poster.value, tools);
    const out = playable.value.output;
    const keys = videoKeys(video.id);
    const compact = await compactRendition(deps, video.id, mp4, out, scratch);
    await deps.storage.put(keys.video(out.height), mp4);
    if (compact) await deps.storage.put(compact.rendition.key, compact.path);
    await deps.storage.put(keys.poster, jpg);
    for (const caption of job.captions) {
      await deps.storage.put(keys.caption(caption.language), caption.path);
    }
    const stillWanted = await deps.db.transaction(async (tx) => {
      const [published] = await tx
        .update(supportVideos)
        .set({
          state: "published",
          durationSeconds: Math.max(1, Math.round(out.durationSeconds)),
          width: out.width,
          height: out.height,
          fps: out.fps,
          sizeBytes: out.sizeBytes,
          mediaKey: keys.video(out.height),
          posterKey: keys.poster,
          blurhash,
          compactRendition: compact?.rendition ?? null,
          publishedAt: new Date(),
          updatedAt: new Date(),
        })
        .where(and(eq(supportVideos.id, video.id), eq(supportVideos.state, "processing")))
        .returning({ id: supportVideos.id });
      if (!published) return false; // deleted while processing
      if (job.captions.length > 0) {
        await tx
          .insert(videoCaptions)
          .values(
            job.captions.map((c) => ({
              videoId: video.id,
              language: c.language.toLowerCase(),
              mediaKey: keys.caption(c.language),
            })),
          )
          .onConflictDoNothing();
      }
      await deps.events.record(tx, { type: "video.published", videoId: video.id });
      return true;
    });
    if (!stillWanted) await deps.storage.deletePrefix(keys.prefix);
    await removeStaged(job);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * When the processed MP4 is over what other servers download for a post, a
 * smaller copy for posts to attach. Failing to make one is not fatal: the
 * video is still published, whole, and plays on its watch page and PeerTube.
 */
async function compactRendition(
  deps: ProcessingDeps,
  videoId: string,
  mp4: string,
  source: ProbeResult,
  scratch: string,
): Promise<{ rendition: VideoRendition; path: string } | null> {
  const limit = deps.remoteMediaLimitBytes ?? REMOTE_MEDIA_LIMIT_BYTES;
  if (source.sizeBytes <= limit) return null;
  const path = join(scratch, "compact.mp4");
  const tools = deps.binaries ? { binaries: deps.binaries } : {};
  const encoded = await encodeUnderSize(mp4, path, { ...tools, source, maxBytes: limit });
  if (!encoded.ok || encoded.value.output.height === source.height) {
    deps.log?.("Video {videoId}: no rendition under {limit} bytes: {detail}", {
      videoId,
      limit,
      detail: encoded.ok ? "same height as the source" : encoded.error.detail,
    });
    return null;
  }
  const o = encoded.value.output;
  const key = videoKeys(videoId).video(o.height);
  return {
    rendition: { key, width: o.width, height: o.height, fps: o.fps, sizeBytes: o.sizeBytes },
    path,
  };
}
