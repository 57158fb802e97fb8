import { rm, stat } from "node:fs/promises";
import { readTopLevelBoxes } from "./container-integrity.ts";
import { fitWithin } from "./dimensions.ts";
import { ffmpegGlobalArgs, fileUrl, safeInputArgs, stderrTail } from "./ffmpeg-args.ts";
import { fail, type MediaResult, ok } from "./media-error.ts";
import { resolveMediaBinaries, runTool } from "./media-tools.ts";
import { defaultThreads, type MediaToolOptions, type ProbeResult, probe } from "./probe.ts";

export interface WebPlayableOptions extends MediaToolOptions {
  /** The input's probe, if the caller has it (saves a second probe). */
  readonly source?: ProbeResult;
  /** x264 CRF; default 23. */
  readonly crf?: number;
  /** x264 preset; default "veryfast" (this runs on small shared servers). */
  readonly preset?: string;
  /** Long/short side caps; default 1920/1080 ("1080p" in either orientation). */
  readonly maxLongSide?: number;
  readonly maxShortSide?: number;
  /** Default 60. */
  readonly maxFps?: number;
  /**
   * Average H.264 bitrate in bits/s instead of a constant quality (`crf`): for
   * a file that must land under a size (size-capped.ts). Always re-encodes.
   */
  readonly videoBitrate?: number;
  /** AAC bitrate in bits/s; default 128 kb/s. */
  readonly audioBitrate?: number;
}

export interface WebPlayable {
  /** "remux": streams copied as they were; "transcode": re-encoded to H.264/AAC. */
  readonly mode: "remux" | "transcode";
  /** The output file, probed. */
  readonly output: ProbeResult;
}

/**
 * Makes an MP4 every browser, Mastodon and PeerTube play: H.264 (yuv420p) +
 * AAC, `moov` before `mdat` (faststart), no metadata (phones store the
 * recording location in it). An H.264/AAC MP4 or MOV within the limits is only
 * remuxed; anything else is transcoded.
 */
export async function toWebPlayable(
  input: string,
  outMp4: string,
  options: WebPlayableOptions = {},
): Promise<MediaResult<WebPlayable>> {
  let source = options.source;
  if (!source) {
    const probed = await probe(input, { ...options, decodeCheck: "off" });
    if (!probed.ok) return probed;
    source = probed.value;
  }
  const binaries = options.binaries ?? resolveMediaBinaries();
  const threads = options.threads ?? defaultThreads();
  const remux = options.videoBitrate === undefined && canRemux(source, options);
  const common = [
    "-map_metadata",
    "-1",
    "-map_chapters",
    "-1",
    "-sn",
    "-dn",
    "-movflags",
    "+faststart",
    "-max_muxing_queue_size",
    "1024",
    "-f",
    "mp4",
    "-y",
    fileUrl(outMp4),
  ];
  const args = [
    ...ffmpegGlobalArgs(),
    ...safeInputArgs(input, source.demuxer, threads),
    "-map",
    "0:v:0",
    "-map",
    "0:a:0?",
    ...(remux ? ["-c", "copy"] : encodeArgs(source, options, threads)),
    ...common,
  ];
  const run = await runTool(binaries.ffmpeg, args, {
    timeoutMs: options.timeoutMs ?? Math.max(300_000, source.durationSeconds * 10_000),
    signal: options.signal,
  });
  const failed = async (kind: "undecodable" | "processing_failed", detail: string) => {
    await rm(outMp4, { force: true });
    return kind === "undecodable"
      ? fail<WebPlayable>(kind, 422, "The video could not be converted for playback.", detail)
      : fail<WebPlayable>(kind, 500, "Converting the video took too long or failed.", detail);
  };
  if (run.timedOut) return failed("processing_failed", "ffmpeg timed out");
  if (run.exitCode !== 0) {
    return failed("undecodable", stderrTail(run.stderr) || `ffmpeg exit ${run.exitCode}`);
  }
  if (!(await stat(outMp4).catch(() => null))?.size)
    return failed("processing_failed", "no output");

  const output = await probe(outMp4, { ...options, decodeCheck: "off" });
  if (!output.ok) return failed("processing_failed", `output unreadable: ${output.error.detail}`);
  const v = output.value;
  if (v.videoCodec !== "h264" || (v.audioCodec !== null && v.audioCodec !== "aac")) {
    return failed("processing_failed", `output is ${v.videoCodec}/${v.audioCodec}`);
  }
  if (!(await isFaststart(outMp4))) return failed("processing_failed", "moov not before mdat");
  return ok({ mode: remux ? "remux" : "transcode", output: v });
}

/** True when the MP4's `moov` box precedes its first `mdat` (progressive playback). */
export async function isFaststart(path: string): Promise<boolean> {
  const types = (await readTopLevelBoxes(path)).boxes.map((b) => b.type);
  const moov = types.indexOf("moov");
  const mdat = types.indexOf("mdat");
  return moov !== -1 && (mdat === -1 || moov < mdat);
}

export function canRemux(source: ProbeResult, options: WebPlayableOptions = {}): boolean {
  const fitted = fitWithin(source.width, source.height, options.maxLongSide, options.maxShortSide);
  return (
    source.demuxer === "mov" &&
    source.videoCodec === "h264" &&
    source.pixelFormat === "yuv420p" &&
    (source.audioCodec === null || source.audioCodec === "aac") &&
    // A copied stream keeps its rotation flag, which some players ignore.
    source.rotation === 0 &&
    fitted.width === source.width &&
    fitted.height === source.height &&
    (source.fps === null || source.fps <= (options.maxFps ?? 60))
  );
}

function encodeArgs(source: ProbeResult, options: WebPlayableOptions, threads: number): string[] {
  // ffmpeg turns rotated input upright before filters, so the filter sees the
  // displayed size.
  const size = fitWithin(source.width, source.height, options.maxLongSide, options.maxShortSide);
  const maxFps = options.maxFps ?? 60;
  const filters = [
    `scale=${size.width}:${size.height}:flags=bicubic`,
    "setsar=1",
    ...(source.fps !== null && source.fps > maxFps ? [`fps=${maxFps}`] : []),
    "format=yuv420p",
  ];
  return [
    "-vf",
    filters.join(","),
    "-c:v",
    "libx264",
    "-preset",
    options.preset ?? "veryfast",
    ...rateArgs(options),
    "-profile:v",
    "high",
    "-threads",
    String(threads),
    ...(source.audioCodec === null
      ? []
      : ["-c:a", "aac", "-b:a", String(options.audioBitrate ?? 128_000), "-ac", "2"]),
  ];
}

function rateArgs(options: WebPlayableOptions): string[] {
  const bitrate = options.videoBitrate;
  if (bitrate === undefined) return ["-crf", String(options.crf ?? 23)];
  const rate = Math.max(1, Math.round(bitrate));
  // One-pass average bitrate; the VBV cap keeps a busy scene from spending
  // the whole budget, so the file lands near duration × bitrate.
  return [
    "-b:v",
    String(rate),
    "-maxrate",
    String(Math.round(rate * 1.5)),
    "-bufsize",
    String(rate * 2),
  ];
}
