import type { Db } from "../db/client.ts";
import type { VideoRendition } from "../db/schema/index.ts";
import { findSupportVideo, type SupportVideo } from "./video-queries.ts";

/**
 * The largest file we ask other servers to download as a post's media.
 * Mastodon refuses remote media over `MediaAttachment::VIDEO_LIMIT`
 * (99.megabytes in Rails, 99 × 1024² bytes; a larger Content-Length or body
 * is dropped) and then shows the post with a dead "unknown" attachment it
 * never retries. Over this, processing makes a compact rendition for posts.
 */
export const REMOTE_MEDIA_LIMIT_BYTES = 99 * 1024 * 1024;

/** A playable MP4 of a video, as it is addressed on our origin. */
export interface VideoFile {
  /** Storage key of the URL we publish (`videos/<uuid>/<uuid>-<height>.mp4`). */
  key: string;
  width: number;
  height: number;
  fps: number | null;
  sizeBytes: number;
}

/**
 * PeerTube keeps a remote file under the last segment of its URL, in a
 * column with a unique index (`videoFile.filename`), so every file we publish
 * needs a name no other video's file has; this is PeerTube's own pattern, and
 * the one its download button builds (`/download/web-videos/<uuid>-<height>.mp4`).
 */
export function videoFileKey(videoId: string, height: number): string {
  return `videos/${videoId}/${videoFileName(videoId, height)}`;
}

export function videoFileName(videoId: string, height: number): string {
  return `${videoId}-${Math.round(height)}.mp4`;
}

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const FILE_NAME = new RegExp(`^(${UUID})-(\\d{1,5})\\.mp4$`);
const FILE_KEY = new RegExp(`^videos/(${UUID})/(${UUID})-(\\d{1,5})\\.mp4$`);

/** `<uuid>-<height>.mp4` (PeerTube's download path) → its storage key, or null. */
export function keyOfVideoFileName(name: string): string | null {
  const match = FILE_NAME.exec(name);
  return match ? videoFileKey(match[1] as string, Number(match[2])) : null;
}

/**
 * The MP4s of a published video, main file first. A video processed before
 * files had unique names is stored as `videos/<uuid>/video.mp4`: it is
 * published under the unique name all the same (`resolveVideoFileKey`
 * serves one from the other), so a PeerTube that imported it once frees the
 * old name on its next update, and the old URL keeps working.
 */
export function videoFiles(video: SupportVideo): VideoFile[] {
  if (!video.mediaKey || !video.width || !video.height) return [];
  const main: VideoFile = {
    key: videoFileKey(video.id, video.height),
    width: video.width,
    height: video.height,
    fps: video.fps,
    sizeBytes: video.sizeBytes ?? 0,
  };
  const compact = video.compactRendition;
  if (!compact || compact.height === video.height) return [main];
  return [main, compact];
}

/**
 * For a media key that is not in storage: the stored key of the same file,
 * when `key` is the unique name of a video whose file is stored under another
 * key (videos processed before unique names). Null otherwise.
 */
export async function resolveVideoFileKey(db: Db, key: string): Promise<string | null> {
  const match = FILE_KEY.exec(key);
  if (!match || match[1] !== match[2]) return null;
  const video = await findSupportVideo(db, match[1] as string);
  if (video?.state !== "published" || !video.mediaKey) return null;
  const height = Number(match[3]);
  const stored = [
    { key: video.mediaKey, height: video.height },
    ...(video.compactRendition ? [video.compactRendition satisfies VideoRendition] : []),
  ].find((file) => file.height === height);
  return stored && stored.key !== key ? stored.key : null;
}
