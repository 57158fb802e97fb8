import { rm } from "node:fs/promises";
import { fitWithin } from "./dimensions.ts";
import { fail, type MediaResult, ok } from "./media-error.ts";
import type { MediaToolOptions, ProbeResult } from "./probe.ts";
import { toWebPlayable } from "./transcode.ts";

export interface SizeCappedOptions extends MediaToolOptions {
  /** The output must not be larger than this many bytes. */
  readonly maxBytes: number;
  /** The input's probe (a web-playable MP4, already upright). */
  readonly source: ProbeResult;
  /** Encodes tried before giving up; default 3. */
  readonly attempts?: number;
}

/**
 * Aim below the cap: one-pass average bitrate lands within a few per cent of
 * the target, and a retry costs a whole encode.
 */
const TARGET_SHARE = 0.9;
/** MP4 boxes (moov indexes every sample) take roughly this share of the file. */
const CONTAINER_SHARE = 0.02;
/** Short sides tried, largest first; the copy is always smaller than its source. */
const SHORT_SIDES = [720, 480, 360, 240, 144] as const;
/**
 * x264 at "veryfast" stays watchable down to about this many bits per pixel
 * per frame; below it a smaller frame looks better than a blocky large one.
 */
const MIN_BITS_PER_PIXEL = 0.05;
/** Below this a video is slides, not video: give up instead. */
const MIN_VIDEO_BITRATE = 40_000;

export interface SizeCapped {
  readonly output: ProbeResult;
  readonly attempts: number;
}

/**
 * A smaller H.264/AAC MP4 of `input` that is at most `maxBytes`: bitrate
 * from the duration, the largest frame that bitrate keeps watchable, and
 * another encode at a proportionally lower bitrate if the first overshoots.
 */
export async function encodeUnderSize(
  input: string,
  outMp4: string,
  options: SizeCappedOptions,
): Promise<MediaResult<SizeCapped>> {
  const { source, maxBytes } = options;
  const seconds = Math.max(source.durationSeconds, 0.1);
  const budget = (maxBytes * TARGET_SHARE * (1 - CONTAINER_SHARE) * 8) / seconds;
  const audioBitrate = source.audioCodec === null ? 0 : budget >= 1_000_000 ? 128_000 : 64_000;
  let videoBitrate = budget - audioBitrate;
  const size = frameFor(source, videoBitrate);
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (videoBitrate < MIN_VIDEO_BITRATE) break;
    const encoded = await toWebPlayable(input, outMp4, {
      ...options,
      source,
      maxLongSide: Math.max(size.width, size.height),
      maxShortSide: Math.min(size.width, size.height),
      videoBitrate,
      ...(audioBitrate > 0 ? { audioBitrate } : {}),
    });
    if (!encoded.ok) return encoded;
    const bytes = encoded.value.output.sizeBytes;
    if (bytes <= maxBytes) return ok({ output: encoded.value.output, attempts: attempt });
    await rm(outMp4, { force: true });
    // Overshoot shrinks the video share by the same ratio, with a little extra.
    const over = bytes - maxBytes * TARGET_SHARE;
    videoBitrate -= ((over * 8) / seconds) * 1.1;
  }
  return fail(
    "processing_failed",
    500,
    "The video could not be made small enough for other servers.",
    `no encode of ${seconds}s fits ${maxBytes} bytes`,
  );
}

/** The largest frame on the ladder, smaller than the source, that the bitrate keeps watchable. */
export function frameFor(
  source: Pick<ProbeResult, "width" | "height" | "fps">,
  videoBitrate: number,
): { width: number; height: number } {
  const short = Math.min(source.width, source.height);
  const fps = source.fps ?? 30;
  const smaller = SHORT_SIDES.filter((side) => side < short);
  // A source already under the smallest rung: two thirds of it.
  const sides = smaller.length > 0 ? smaller : [Math.max(2, Math.floor((short * 2) / 3))];
  for (const side of sides) {
    const frame = fitWithin(source.width, source.height, Number.MAX_SAFE_INTEGER, side);
    if (videoBitrate / (frame.width * frame.height * fps) >= MIN_BITS_PER_PIXEL) return frame;
  }
  const last = sides[sides.length - 1] as number;
  return fitWithin(source.width, source.height, Number.MAX_SAFE_INTEGER, last);
}
