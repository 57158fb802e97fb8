import { createHash } from "node:crypto";
import { mkdir, rm, stat } from "node:fs/promises";
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
  /** Global metadata, e.g. `{location: "+48.8577+002.2950/"}` as phones record it. */
  readonly metadata?: Readonly<Record<string, string>>;
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
    metadata: options.metadata ?? {},
  };
  const name = `${o.codec}-${o.container}-${o.seconds}s-${o.width}x${o.height}${o.audio ? "-a" : ""}${o.faststart ? "-fs" : ""}${o.rotate ? `-r${o.rotate}` : ""}${Object.keys(o.metadata).length ? `-m${createHash("sha1").update(JSON.stringify(o.metadata)).digest("hex").slice(0, 8)}` : ""}.${o.container}`;
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
      : [
          "-c:v",
          "libvpx-vp9",
          "-deadline",
          "realtime",
          "-cpu-used",
          "8",
          "-b:v",
          "200k",
          "-pix_fmt",
          "yuv420p",
        ];
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
    ...Object.entries(o.metadata).flatMap(([k, v]) => ["-metadata", `${k}=${v}`]),
    "-f",
    o.container === "webm" ? "webm" : o.container === "mov" ? "mov" : "mp4",
    o.rotate ? `${path}.plain` : path,
  ];
  await ffmpeg(args, path);
  if (o.rotate) {
    // This ffmpeg writes the display matrix only when stream-copying.
    await ffmpeg(
      [
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-i",
        `${path}.plain`,
        "-c",
        "copy",
        "-metadata:s:v:0",
        `rotate=${o.rotate}`,
        ...(o.faststart ? ["-movflags", "+faststart"] : []),
        "-f",
        o.container === "mov" ? "mov" : "mp4",
        path,
      ],
      path,
    );
    await rm(`${path}.plain`, { force: true });
  }
  if ((await stat(path)).size === 0) throw new Error(`ffmpeg made an empty ${path}`);
  return path;
}

async function ffmpeg(args: string[], path: string): Promise<void> {
  const run = await runTool(resolveMediaBinaries().ffmpeg, args, { timeoutMs: 60_000 });
  if (run.exitCode !== 0) throw new Error(`ffmpeg could not make ${path}: ${run.stderr}`);
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

/** A Hono app on 127.0.0.1 behind @hono/node-server, as in production. */
export async function listenOnLoopback(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
): Promise<{ origin: string; port: number; close: () => Promise<void> }> {
  const { createServer } = await import("node:http");
  const { getRequestListener } = await import("@hono/node-server");
  const server = createServer(getRequestListener(fetch));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as import("node:net").AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes raw bytes to the server (for requests fetch refuses to make: lying
 * Content-Length, cut-off bodies) and returns whatever came back before the
 * server closed or `waitMs` passed.
 */
export async function rawExchange(
  port: number,
  chunks: readonly (string | Uint8Array)[],
  options: { endAfterWrite?: boolean; waitMs?: number } = {},
): Promise<string> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(received).toString("latin1"));
    };
    const timer = setTimeout(finish, options.waitMs ?? 2000);
    socket.on("data", (d) => received.push(d));
    socket.on("close", finish);
    socket.on("error", finish);
    socket.on("connect", () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.endAfterWrite) socket.end();
    });
  });
}
