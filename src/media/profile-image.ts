import { randomBytes } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { ffmpegGlobalArgs, fileUrl, safeInputArgs, stderrTail } from "./ffmpeg-args.ts";
import type { ImageSniff } from "./image-sniff.ts";
import { fail, type MediaResult, ok } from "./media-error.ts";
import { type MediaBinaries, resolveMediaBinaries, runTool } from "./media-tools.ts";

/** A channel's profile pictures, bounded as Mastodon bounds them (avatar 400², header 1500×500). */
export const PROFILE_IMAGE_BOUNDS = {
  avatar: { width: 400, height: 400 },
  header: { width: 1500, height: 500 },
} as const;

export type ProfileImageKind = keyof typeof PROFILE_IMAGE_BOUNDS;

/** Largest accepted upload per image; one byte more answers 413. */
export const MAX_PROFILE_IMAGE_BYTES = 8 * 1024 * 1024;

/**
 * Pixels a source image may have before decoding is refused: a few-KiB PNG
 * can claim 100,000 × 100,000 (a decompression bomb); 50 MP still takes any
 * phone photo.
 */
const MAX_SOURCE_PIXELS = 50_000_000;

export interface ProfileImage {
  /** The re-encoded file, server-named, in `workDir`; the caller stores or removes it. */
  readonly path: string;
  readonly mime: "image/png" | "image/jpeg";
  readonly extension: "png" | "jpg";
}

export interface ProfileImageOptions {
  readonly workDir: string;
  readonly binaries?: MediaBinaries;
  readonly timeoutMs?: number;
}

/**
 * Decodes an uploaded image and writes a fresh one: only the pixels survive
 * (no EXIF — GPS position! —, no text chunks, comments or other metadata),
 * scaled down to fit `kind`'s bounds (never up), first frame only. JPEGs stay
 * JPEG; PNG, GIF and WebP become PNG, which keeps transparency. ffmpeg may
 * open only this one file, with the demuxer the bytes called for.
 */
export async function reencodeProfileImage(
  input: string,
  sniff: ImageSniff,
  kind: ProfileImageKind,
  options: ProfileImageOptions,
): Promise<MediaResult<ProfileImage>> {
  const { width, height } = PROFILE_IMAGE_BOUNDS[kind];
  const jpeg = sniff.format === "jpeg";
  const extension = jpeg ? "jpg" : "png";
  const out = join(options.workDir, `${randomBytes(12).toString("hex")}.${extension}`);
  const fit = `min(1,min(${width}/iw,${height}/ih))`;
  const run = await runTool(
    (options.binaries ?? resolveMediaBinaries()).ffmpeg,
    [
      ...ffmpegGlobalArgs(),
      "-max_pixels",
      String(MAX_SOURCE_PIXELS),
      ...safeInputArgs(input, sniff.demuxer, 1),
      "-map",
      "0:v:0",
      "-frames:v",
      "1",
      "-vf",
      `scale='max(1,trunc(iw*${fit}))':'max(1,trunc(ih*${fit}))',setsar=1,format=${jpeg ? "yuvj420p" : "rgba"}`,
      ...(jpeg ? ["-c:v", "mjpeg", "-q:v", "3"] : ["-c:v", "png"]),
      "-map_metadata",
      "-1",
      // No "Lavc…" comment or other encoder-identifying bytes.
      "-flags",
      "+bitexact",
      // image2 would expand %d patterns in the name; -update 1 writes one file as named.
      "-f",
      "image2",
      "-update",
      "1",
      "-y",
      fileUrl(out),
    ],
    { timeoutMs: options.timeoutMs ?? 30_000 },
  );
  const size = (await stat(out).catch(() => null))?.size ?? 0;
  if (!run.timedOut && run.exitCode === 0 && size > 0) {
    return ok({ path: out, mime: jpeg ? "image/jpeg" : "image/png", extension });
  }
  await rm(out, { force: true });
  if (run.timedOut) {
    return fail("processing_failed", 500, "Processing the image took too long.", "timeout");
  }
  return fail(
    "undecodable",
    422,
    `The ${kind} image could not be read. It may be damaged, too large in pixels, or animated WebP.`,
    stderrTail(run.stderr) || `ffmpeg exit ${run.exitCode}`,
  );
}
