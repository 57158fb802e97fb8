import { readFile, rm } from "node:fs/promises";
import { encode } from "blurhash";
import { fitWithin } from "./dimensions.ts";
import { ffmpegGlobalArgs, fileUrl, safeInputArgs } from "./ffmpeg-args.ts";
import { resolveMediaBinaries, runTool } from "./media-tools.ts";
import type { MediaToolOptions } from "./probe.ts";

/**
 * Mastodon computes every media blurhash with 4×4 components
 * (`BLURHASH_OPTIONS` in its media_attachment.rb) and refuses a remote one
 * with more than 5 on either axis; 4×4 is what its clients are tuned for.
 */
const COMPONENTS_X = 4;
const COMPONENTS_Y = 4;
/** A blurhash keeps 4×4 cosine terms: 32 px on the long side carries them all, cheaply. */
const SAMPLE_LONG_SIDE = 32;

/**
 * The BlurHash of a JPEG (the video's poster), shown by Mastodon in place of
 * the media behind a content warning or before it has downloaded it. ffmpeg
 * scales the image down to raw RGBA, which the reference encoder reads.
 * Null when ffmpeg cannot read the image: a blurhash is a nicety, never a
 * reason to fail a video.
 */
export async function imageBlurhash(
  jpgPath: string,
  size: { width: number; height: number },
  options: MediaToolOptions = {},
): Promise<string | null> {
  // fitWithin rounds to even sizes, which a blurhash does not need but does not mind.
  const sample = fitWithin(size.width, size.height, SAMPLE_LONG_SIDE, SAMPLE_LONG_SIDE);
  const rawPath = `${jpgPath}.rgba`;
  try {
    const run = await runTool(
      (options.binaries ?? resolveMediaBinaries()).ffmpeg,
      [
        ...ffmpegGlobalArgs(),
        ...safeInputArgs(jpgPath, "jpeg_pipe", 1),
        "-frames:v",
        "1",
        "-vf",
        `scale=${sample.width}:${sample.height}:flags=area`,
        "-pix_fmt",
        "rgba",
        "-f",
        "rawvideo",
        "-y",
        fileUrl(rawPath),
      ],
      { timeoutMs: options.timeoutMs ?? 30_000, signal: options.signal },
    );
    if (run.exitCode !== 0) return null;
    const raw = await readFile(rawPath);
    if (raw.length !== sample.width * sample.height * 4) return null;
    const pixels = new Uint8ClampedArray(raw.buffer, raw.byteOffset, raw.length);
    return encode(pixels, sample.width, sample.height, COMPONENTS_X, COMPONENTS_Y);
  } catch {
    return null;
  } finally {
    await rm(rawPath, { force: true });
  }
}
