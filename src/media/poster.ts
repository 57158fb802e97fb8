import { rm, stat } from "node:fs/promises";
import { fitWithin } from "./dimensions.ts";
import { ffmpegGlobalArgs, fileUrl, safeInputArgs, stderrTail } from "./ffmpeg-args.ts";
import { fail, type MediaResult, ok } from "./media-error.ts";
import { resolveMediaBinaries, runTool } from "./media-tools.ts";
import { defaultThreads, type MediaToolOptions, type ProbeResult, probe } from "./probe.ts";

export interface PosterOptions extends MediaToolOptions {
  readonly source?: ProbeResult;
  /** Default: 10 % in, at least 1 s, at most 10 s, never past the middle. */
  readonly atSeconds?: number;
  /** Default 1280 (long side). */
  readonly maxLongSide?: number;
}

export interface Poster {
  readonly width: number;
  readonly height: number;
  readonly atSeconds: number;
}

/** Writes one JPEG frame of the video, upright and scaled down. */
export async function makePoster(
  input: string,
  outJpg: string,
  options: PosterOptions = {},
): Promise<MediaResult<Poster>> {
  let source = options.source;
  if (!source) {
    const probed = await probe(input, { ...options, decodeCheck: "off" });
    if (!probed.ok) return probed;
    source = probed.value;
  }
  const d = source.durationSeconds;
  const preferred = options.atSeconds ?? Math.min(Math.max(1, d * 0.1), 10, d / 2);
  const maxLong = options.maxLongSide ?? 1280;
  const size = fitWithin(source.width, source.height, maxLong, maxLong);
  let lastError = "";
  // Seeking lands on the key frame before the time; if that yields nothing
  // (odd files), fall back to the first frame.
  for (const at of preferred > 0 ? [preferred, 0] : [0]) {
    const run = await runTool(
      (options.binaries ?? resolveMediaBinaries()).ffmpeg,
      [
        ...ffmpegGlobalArgs(),
        "-ss",
        at.toFixed(3),
        ...safeInputArgs(input, source.demuxer, options.threads ?? defaultThreads()),
        "-map",
        "0:v:0",
        "-frames:v",
        "1",
        "-vf",
        `scale=${size.width}:${size.height},setsar=1,format=yuvj420p`,
        "-c:v",
        "mjpeg",
        "-q:v",
        "3",
        "-an",
        "-sn",
        "-dn",
        "-map_metadata",
        "-1",
        // image2 would expand %d patterns in the name; -update 1 writes one file as named.
        "-f",
        "image2",
        "-update",
        "1",
        "-y",
        fileUrl(outJpg),
      ],
      { timeoutMs: options.timeoutMs ?? 60_000, signal: options.signal },
    );
    if (run.timedOut) {
      await rm(outJpg, { force: true });
      return fail("processing_failed", 500, "Making the poster image took too long.", "timeout");
    }
    const size_ = (await stat(outJpg).catch(() => null))?.size ?? 0;
    if (run.exitCode === 0 && size_ > 0) return ok({ ...size, atSeconds: at });
    lastError = stderrTail(run.stderr) || `ffmpeg exit ${run.exitCode}`;
  }
  await rm(outJpg, { force: true });
  return fail("undecodable", 422, "No frame of the video could be read for a poster.", lastError);
}
