import { open } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { checkContainerIntegrity } from "./container-integrity.ts";
import { ffmpegGlobalArgs, safeInputArgs, stderrTail } from "./ffmpeg-args.ts";
import { fail, type MediaResult, ok } from "./media-error.ts";
import { type MediaBinaries, resolveMediaBinaries, runTool } from "./media-tools.ts";
import { SNIFF_BYTES, type SniffResult, sniffContainer, type VideoContainer } from "./sniff.ts";

/** Options shared by probe, poster and transcode. */
export interface MediaToolOptions {
  /** Default: `resolveMediaBinaries()` (system ffmpeg, else the npm one). */
  readonly binaries?: MediaBinaries;
  /** ffmpeg is killed after this long. */
  readonly timeoutMs?: number;
  /** ffmpeg `-threads`; default min(4, CPU count). */
  readonly threads?: number;
  readonly signal?: AbortSignal;
}

export interface ProbeOptions extends MediaToolOptions {
  /**
   * After ffprobe, decode the file to catch damage ffprobe does not see:
   * "keyframes" (default) demuxes everything and decodes key frames, "full"
   * decodes every frame, "off" skips it.
   */
  readonly decodeCheck?: "keyframes" | "full" | "off";
  /** Default 4 hours. */
  readonly maxDurationSeconds?: number;
  /** Longest side in pixels; default 8192 (guards against decompression bombs). */
  readonly maxDimension?: number;
}

export type Rotation = 0 | 90 | 180 | 270;

export interface ProbeResult {
  readonly container: VideoContainer;
  readonly mime: string;
  readonly demuxer: SniffResult["demuxer"];
  readonly durationSeconds: number;
  /** As displayed, i.e. after applying `rotation`. */
  readonly width: number;
  readonly height: number;
  /**
   * Quarter turns a player applies (phone videos), as ffprobe reports them;
   * with 90 or 270 the coded frame is sideways, hence `width`/`height` above.
   */
  readonly rotation: Rotation;
  readonly videoCodec: string;
  readonly pixelFormat: string | null;
  readonly fps: number | null;
  /** null when the file has no audio track. */
  readonly audioCodec: string | null;
  readonly sizeBytes: number;
  readonly bitRate: number | null;
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

const TRUNCATED =
  "The video file is cut short: it ends before its data does. The upload or the recording may have been interrupted.";
const UNREADABLE =
  "The video could not be read. It may be damaged or in a format we do not support.";

/**
 * Checks that a staged file is a whole, decodable video and describes it. The
 * container is sniffed from the bytes again (the file may come from anywhere).
 */
export async function probe(
  path: string,
  options: ProbeOptions = {},
): Promise<MediaResult<ProbeResult>> {
  const sniff = await sniffFile(path);
  if (!sniff) {
    return fail(
      "unsupported_type",
      415,
      "This file is not a video we can accept. Upload an MP4, MOV or WebM video.",
    );
  }
  const broken = await checkContainerIntegrity(path, sniff.demuxer);
  if (broken) return { ok: false, error: broken };

  const binaries = options.binaries ?? resolveMediaBinaries();
  const run = await runTool(
    binaries.ffprobe,
    [
      "-hide_banner",
      "-v",
      "error",
      "-print_format",
      "json",
      "-show_format",
      "-show_streams",
      ...safeInputArgs(path, sniff.demuxer),
    ],
    { timeoutMs: options.timeoutMs ?? 30_000, signal: options.signal },
  );
  if (run.timedOut) return fail("undecodable", 422, UNREADABLE, "ffprobe timed out");
  if (run.exitCode !== 0 || run.stdoutOverflow) {
    return fail(
      "undecodable",
      422,
      UNREADABLE,
      stderrTail(run.stderr) || `ffprobe exit ${run.exitCode}`,
    );
  }
  const described = describe(run.stdout, sniff, options);
  if (!described.ok) return described;
  const input = safeInputArgs(path, sniff.demuxer, options.threads ?? defaultThreads());
  const streams = ["-map", "0:v:0", "-map", "0:a:0?"];

  const mode = options.decodeCheck ?? "keyframes";
  if (mode !== "off") {
    const decode = await runTool(
      binaries.ffmpeg,
      [
        ...ffmpegGlobalArgs(),
        "-xerror",
        ...(mode === "keyframes" ? ["-skip_frame", "nokey"] : []),
        ...input,
        ...streams,
        "-f",
        "null",
        "-",
      ],
      { timeoutMs: options.timeoutMs ?? 120_000, signal: options.signal },
    );
    if (decode.timedOut) return fail("undecodable", 422, UNREADABLE, "decode check timed out");
    // -xerror turns a decoding error into a non-zero exit. A Matroska file cut
    // short (live WebM has no sizes to check) only leaves a "Read error" line.
    const cutShort = /Read error|End of file|ended prematurely|truncat/i.test(decode.stderr);
    if (decode.exitCode !== 0 || cutShort) {
      const detail = stderrTail(decode.stderr) || `ffmpeg exit ${decode.exitCode}`;
      return cutShort
        ? fail("truncated", 422, TRUNCATED, detail)
        : fail(
            "undecodable",
            422,
            "The video is damaged: parts of it could not be decoded.",
            detail,
          );
    }
  }

  let durationSeconds = described.value.durationSeconds;
  if (durationSeconds === null) {
    // Browser recordings (MediaRecorder WebM) carry no duration: measure it by
    // reading every packet without decoding.
    const pass = await runTool(
      binaries.ffmpeg,
      [
        ...ffmpegGlobalArgs(),
        ...input,
        ...streams,
        "-c",
        "copy",
        "-f",
        "null",
        "-progress",
        "pipe:1",
        "-",
      ],
      { timeoutMs: options.timeoutMs ?? 120_000, signal: options.signal },
    );
    durationSeconds = pass.exitCode === 0 ? lastProgressSeconds(pass.stdout) : null;
  }
  if (durationSeconds === null || durationSeconds <= 0) {
    return fail(
      "undecodable",
      422,
      "The video has no playable length.",
      "duration missing or zero",
    );
  }
  const maxDuration = options.maxDurationSeconds ?? 4 * 3600;
  if (durationSeconds > maxDuration) {
    return fail(
      "undecodable",
      422,
      `The video is longer than ${Math.floor(maxDuration / 60)} minutes.`,
    );
  }
  return ok({ ...described.value, durationSeconds });
}

/** The last `out_time_us` (or 4.x's misnamed `out_time_ms`, also µs) of `-progress` output. */
function lastProgressSeconds(progress: string): number | null {
  const matches = [...progress.matchAll(/^out_time_(?:us|ms)=(\d+)$/gm)];
  const last = matches.at(-1)?.[1];
  return last === undefined ? null : Number(last) / 1e6;
}

export async function sniffFile(path: string): Promise<SniffResult | null> {
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await file.read(head, 0, SNIFF_BYTES, 0);
    return sniffContainer(head.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const num = (v: unknown): number | null => {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : null;
};

type Described = Omit<ProbeResult, "durationSeconds"> & { durationSeconds: number | null };

function describe(
  stdout: string,
  sniff: SniffResult,
  options: ProbeOptions,
): MediaResult<Described> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return fail("undecodable", 422, UNREADABLE, "ffprobe printed invalid JSON");
  }
  if (!isObject(parsed)) return fail("undecodable", 422, UNREADABLE, "ffprobe JSON not an object");
  const format = isObject(parsed.format) ? parsed.format : {};
  const streams = Array.isArray(parsed.streams) ? parsed.streams.filter(isObject) : [];
  // Cover art in MP4/Matroska shows up as a one-frame "video" stream.
  const video = streams.find(
    (s) =>
      s.codec_type === "video" && !(isObject(s.disposition) && s.disposition.attached_pic === 1),
  );
  const audio = streams.find((s) => s.codec_type === "audio");
  if (!video) return fail("undecodable", 422, "The file has no video track.", "no video stream");
  const videoCodec = str(video.codec_name);
  const codedWidth = num(video.width) ?? 0;
  const codedHeight = num(video.height) ?? 0;
  if (!videoCodec || codedWidth <= 0 || codedHeight <= 0) {
    return fail("undecodable", 422, UNREADABLE, "video stream without codec or size");
  }
  const maxDimension = options.maxDimension ?? 8192;
  if (codedWidth > maxDimension || codedHeight > maxDimension) {
    return fail("undecodable", 422, `The video is larger than ${maxDimension} pixels on a side.`);
  }
  const durationSeconds = num(format.duration) ?? num(video.duration);
  const rotation = readRotation(video);
  const sideways = rotation === 90 || rotation === 270;
  return ok({
    container: sniff.container,
    mime: sniff.mime,
    demuxer: sniff.demuxer,
    durationSeconds,
    width: sideways ? codedHeight : codedWidth,
    height: sideways ? codedWidth : codedHeight,
    rotation,
    videoCodec,
    pixelFormat: str(video.pix_fmt),
    fps: readFps(video.avg_frame_rate) ?? readFps(video.r_frame_rate),
    audioCodec: audio ? (str(audio.codec_name) ?? "unknown") : null,
    sizeBytes: num(format.size) ?? 0,
    bitRate: num(format.bit_rate),
  });
}

function readFps(value: unknown): number | null {
  const match = typeof value === "string" ? /^(\d+)\/(\d+)$/.exec(value) : null;
  if (!match) return null;
  const fps = Number(match[1]) / Number(match[2]);
  return Number.isFinite(fps) && fps > 0 && fps <= 1000 ? Math.round(fps * 1000) / 1000 : null;
}

function readRotation(video: Json): Rotation {
  let degrees: number | null = null;
  if (Array.isArray(video.side_data_list)) {
    for (const side of video.side_data_list) {
      if (isObject(side) && num(side.rotation) !== null) degrees = num(side.rotation);
    }
  }
  // Older ffprobe builds report the `rotate` tag instead of display-matrix side data.
  if (degrees === null && isObject(video.tags)) degrees = num(video.tags.rotate);
  const normalized = (((Math.round((degrees ?? 0) / 90) * 90) % 360) + 360) % 360;
  return normalized as Rotation;
}
