import { once } from "node:events";
import type { ReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveMedia } from "../../src/http/media/serve.ts";
import { type ByteRange, LocalMediaStorage } from "../../src/media/storage.ts";
import { listenOnLoopback } from "../support/media-fixtures.ts";

/** Local storage that remembers the file streams it opened. */
class WatchedStorage extends LocalMediaStorage {
  readonly opened: ReadStream[] = [];
  override createReadStream(key: string, range?: ByteRange): Readable {
    const stream = super.createReadStream(key, range);
    this.opened.push(stream as ReadStream);
    return stream;
  }
}

const SIZE = 64 * 1024 * 1024;
const VIDEO = "/media/videos/big/video.mp4";
let base: string;
let storage: WatchedStorage;
let server: Awaited<ReturnType<typeof listenOnLoopback>>;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "haven-serve-memory-"));
  storage = new WatchedStorage(join(base, "media"));
  const staged = join(base, "staged");
  await writeFile(staged, Buffer.alloc(SIZE, 7));
  await storage.put("videos/big/video.mp4", staged);
  const app = new Hono();
  app.on(
    ["GET", "OPTIONS"],
    "/media/:key{.+}",
    serveMedia(storage, { keyFromRequest: (c) => c.req.param("key") }),
  );
  server = await listenOnLoopback(app.fetch);
});
afterAll(async () => {
  await server.close();
  await rm(base, { recursive: true, force: true });
});

/** A client that sends a GET and then reads nothing until told to. */
async function stalledGet(headers = ""): Promise<{ socket: Socket; stream: ReadStream }> {
  const before = storage.opened.length;
  const socket = connect(server.port, "127.0.0.1");
  socket.pause();
  await once(socket, "connect");
  socket.write(`GET ${VIDEO} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`);
  for (let i = 0; i < 100 && storage.opened.length === before; i++) await sleep(10);
  const stream = storage.opened[before];
  if (!stream) throw new Error("the file was never opened");
  return { socket, stream };
}

describe("serving to slow readers", () => {
  it("reads the file in 64 KiB chunks and stops reading while the client does not read", async () => {
    const { socket, stream } = await stalledGet();
    expect(stream.readableHighWaterMark).toBe(64 * 1024);
    await sleep(400);
    const stalledAt = stream.bytesRead;
    await sleep(200);
    // Only what the kernel's socket buffers take (a few MiB on loopback), never the file.
    expect(stream.bytesRead).toBe(stalledAt);
    expect(stalledAt).toBeLessThan(SIZE / 4);

    let received = 0;
    socket.on("data", (d: Buffer) => {
      received += d.length;
    });
    socket.resume();
    for (let i = 0; i < 500 && received < SIZE; i++) await sleep(10);
    expect(received).toBeGreaterThan(SIZE);
    expect(stream.bytesRead).toBe(SIZE);
    socket.destroy();
  });

  it("closes the file when a stalled client goes away mid-range", async () => {
    const { socket, stream } = await stalledGet(`Range: bytes=1048576-${SIZE - 1}\r\n`);
    await sleep(100);
    // pipeline destroys it with "Premature close"; only the closing matters here.
    const closed = new Promise<void>((resolve) => stream.once("close", () => resolve()));
    socket.destroy();
    await closed;
    expect(stream.destroyed).toBe(true);
    expect(stream.bytesRead).toBeLessThan(SIZE - 1048576);
  });
});
