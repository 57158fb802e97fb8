import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { resolveMediaBinaries, runTool } from "../../src/media/media-tools.ts";

export interface TestVideoOptions {
  readonly seconds?: number;
  readonly codec?: "h264" | "vp9";
  readonly container?: "mp4" | "webm" | "mov";
  /** Default true: a sine tone (AAC in mp4/mov, Opus in webm). */
  readonly audio?: boolean;
  readonly width?: number;
  readonly height?: number;
  /** mp4/mov only: put `moov` first. Default false (ffmpeg's default: moov at the end). */
  readonly faststart?: boolean;
  /** Rotation tag in degrees (mp4/mov only), as phones write it. */
  readonly rotate?: 90 | 180 | 270;
}

const made = new Map<string, Promise<string>>();

/**
 * A real, tiny video made with ffmpeg's test sources (cached per process and
 * directory: treat the returned file as read-only, copy it to change it).
 */
export function makeTestVideo(dir: string, options: TestVideoOptions = {}): Promise<string> {
  const o = {
    seconds: options.seconds ?? 2,
    codec: options.codec ?? "h264",
    container: options.container ?? (options.codec === "vp9" ? "webm" : "mp4"),
    audio: options.audio ?? true,
    width: options.width ?? 160,
    height: options.height ?? 120,
    faststart: options.faststart ?? false,
    rotate: options.rotate ?? 0,
  };
  const name = `${o.codec}-${o.container}-${o.seconds}s-${o.width}x${o.height}${o.audio ? "-a" : ""}${o.faststart ? "-fs" : ""}${o.rotate ? `-r${o.rotate}` : ""}.${o.container}`;
  const path = join(dir, name);
  let pending = made.get(path);
  if (!pending) {
    pending = generate(path, o);
    made.set(path, pending);
  }
  return pending;
}

async function generate(
  path: string,
  o: Required<Omit<TestVideoOptions, "rotate">> & { rotate: number },
): Promise<string> {
  await mkdir(join(path, ".."), { recursive: true });
  const { ffmpeg } = resolveMediaBinaries();
  const video = [
    "-f",
    "lavfi",
    "-i",
    `testsrc=size=${o.width}x${o.height}:rate=15:duration=${o.seconds}`,
  ];
  const audio = o.audio ? ["-f", "lavfi", "-i", `sine=frequency=440:duration=${o.seconds}`] : [];
  const vcodec =
    o.codec === "h264"
      ? ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
      : ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k"];
  const acodec = !o.audio ? [] : o.container === "webm" ? ["-c:a", "libopus"] : ["-c:a", "aac"];
  const args = [
    "-nostdin",
    "-hide_banner",
    "-v",
    "error",
    "-y",
    ...video,
    ...audio,
    ...vcodec,
    ...acodec,
    ...(o.faststart ? ["-movflags", "+faststart"] : []),
    ...(o.rotate ? ["-metadata:s:v:0", `rotate=${o.rotate}`] : []),
    "-f",
    o.container === "webm" ? "webm" : o.container === "mov" ? "mov" : "mp4",
    path,
  ];
  const run = await runTool(ffmpeg, args, { timeoutMs: 60_000 });
  if (run.exitCode !== 0) throw new Error(`ffmpeg could not make ${path}: ${run.stderr}`);
  if ((await stat(path)).size === 0) throw new Error(`ffmpeg made an empty ${path}`);
  return path;
}

/** A copy of the first `fraction` of a file's bytes: a truncated upload. */
export async function truncatedCopy(
  source: string,
  target: string,
  fraction: number,
): Promise<string> {
  const { readFile, writeFile } = await import("node:fs/promises");
  const bytes = await readFile(source);
  await writeFile(target, bytes.subarray(0, Math.floor(bytes.length * fraction)));
  return target;
}
