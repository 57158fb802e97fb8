import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";

/** Absolute paths of the ffmpeg and ffprobe executables to run. */
export interface MediaBinaries {
  readonly ffmpeg: string;
  readonly ffprobe: string;
}

export interface ResolveBinariesOptions {
  /** Explicit paths win over everything else. */
  readonly ffmpegPath?: string;
  readonly ffprobePath?: string;
  /**
   * Directories to search, in PATH syntax. The composition root may pass the
   * process PATH; by default the usual system directories are searched.
   */
  readonly searchPath?: string;
}

const DEFAULT_SEARCH_PATH = ["/usr/local/bin", "/usr/bin", "/bin"].join(delimiter);

/**
 * Prefers a system ffmpeg/ffprobe (distribution builds get security fixes),
 * else the static builds shipped by `@ffmpeg-installer/ffmpeg` and
 * `@ffprobe-installer/ffprobe`, so a fresh `npm install` works.
 */
export function resolveMediaBinaries(options: ResolveBinariesOptions = {}): MediaBinaries {
  const searchPath = options.searchPath ?? DEFAULT_SEARCH_PATH;
  return {
    ffmpeg:
      options.ffmpegPath ??
      findOnPath("ffmpeg", searchPath) ??
      fromNpm("@ffmpeg-installer/ffmpeg", "ffmpeg"),
    ffprobe:
      options.ffprobePath ??
      findOnPath("ffprobe", searchPath) ??
      fromNpm("@ffprobe-installer/ffprobe", "ffprobe"),
  };
}

function findOnPath(name: string, searchPath: string): string | null {
  for (const dir of searchPath.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

function fromNpm(pkg: string, name: string): string {
  try {
    const path = (createRequire(import.meta.url)(pkg) as { path?: unknown }).path;
    if (typeof path === "string") return path;
  } catch {}
  throw new Error(
    `No ${name} found: install ${name} on the system (e.g. apt-get install ffmpeg) or run npm install so that ${pkg} provides one.`,
  );
}

export interface RunToolOptions {
  /** The child is killed (SIGKILL) after this long. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Output past these caps is dropped (stdout: from the end; stderr: keeps the tail). */
  readonly maxStdoutBytes?: number;
  readonly maxStderrBytes?: number;
}

export interface RunToolResult {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** True when stdout exceeded its cap (the output is then incomplete). */
  readonly stdoutOverflow: boolean;
}

/**
 * Runs ffmpeg/ffprobe without a shell, without stdin and with an empty
 * environment (so variables like FFREPORT cannot make it write elsewhere).
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunToolOptions,
): Promise<RunToolResult> {
  const maxStdout = options.maxStdoutBytes ?? 4 * 1024 * 1024;
  const maxStderr = options.maxStderrBytes ?? 64 * 1024;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: {},
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stdoutOverflow = false;
    let stderr = Buffer.alloc(0);
    let timedOut = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (stdoutBytes + chunk.length > maxStdout) {
        stdoutOverflow = true;
        return;
      }
      stdout.push(chunk);
      stdoutBytes += chunk.length;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk]);
      if (stderr.length > maxStderr) stderr = stderr.subarray(stderr.length - maxStderr);
    });
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    options.signal?.addEventListener("abort", kill, { once: true });
    child.on("error", (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", kill);
      reject(error);
    });
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", kill);
      resolvePromise({
        exitCode,
        timedOut,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: stderr.toString("utf8"),
        stdoutOverflow,
      });
    });
  });
}
