import { once } from "node:events";
import { type FileHandle, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveMedia } from "../../src/http/media/serve.ts";
import { LocalMediaStorage } from "../../src/media/storage.ts";
import { listenOnLoopback } from "../support/media-fixtures.ts";

const SIZE = 64 * 1024 * 1024;
const VIDEO = "/media/videos/big/video.mp4";
let base: string;
let server: Awaited<ReturnType<typeof listenOnLoopback>>;

/** Counts bytes read through every FileHandle in this process, and keeps the handles. */
const files = { bytesRead: 0, handles: new Set<FileHandle>() };
let restore: () => void = () => {};

/** Every uint32 holds its own offset, so any misplaced chunk shows. */
function patterned(size: number): Buffer {
  const buffer = Buffer.alloc(size);
  for (let offset = 0; offset + 4 <= size; offset += 4) buffer.writeUInt32LE(offset, offset);
  return buffer;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "haven-serve-memory-"));
  const storage = new LocalMediaStorage(join(base, "media"));
  const staged = join(base, "staged");
  await writeFile(staged, patterned(SIZE));
  await storage.put("videos/big/video.mp4", staged);

  const probe = await open(join(base, "media", "videos", "big", "video.mp4"), "r");
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const { read } = proto;
  proto.read = async function (this: FileHandle, ...args: unknown[]) {
    const result = await (read as (...a: unknown[]) => Promise<{ bytesRead: number }>).apply(
      this,
      args,
    );
    files.bytesRead += result.bytesRead;
    files.handles.add(this);
    return result;
  } as FileHandle["read"];
  restore = () => {
    proto.read = read;
  };

  const app = new Hono();
  app.on(
    ["GET", "OPTIONS"],
    "/media/:key{.+}",
    serveMedia(storage, { keyFromRequest: (c) => c.req.param("key") }),
  );
  server = await listenOnLoopback(app.fetch);
});
afterAll(async () => {
  restore();
  await server?.close();
  await rm(base, { recursive: true, force: true });
});

/** A client that sends a GET and then reads nothing until told to. */
async function stalledGet(headers = ""): Promise<Socket> {
  const socket = connect(server.port, "127.0.0.1");
  socket.pause();
  await once(socket, "connect");
  socket.write(`GET ${VIDEO} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`);
  return socket;
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; !condition() && waited < ms; waited += 10) await sleep(10);
}

describe("serving to slow readers", () => {
  it("stops reading the file while the client does not read, and finishes when it does", async () => {
    const before = files.bytesRead;
    const socket = await stalledGet();
    await sleep(400);
    const stalledAt = files.bytesRead - before;
    await sleep(200);
    // Only what the kernel's socket buffers take (a few MiB on loopback), never the file.
    expect(files.bytesRead - before).toBe(stalledAt);
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(SIZE / 4);

    const received: Buffer[] = [];
    let size = 0;
    socket.on("data", (d: Buffer) => {
      received.push(d);
      size += d.length;
    });
    socket.resume();
    await until(() => size >= SIZE);
    const all = Buffer.concat(received);
    const body = all.subarray(all.indexOf("\r\n\r\n") + 4);
    expect(body.length).toBe(SIZE);
    expect(body.equals(patterned(SIZE))).toBe(true);
    expect(files.bytesRead - before).toBe(SIZE);
    socket.destroy();
  });

  it("closes the file when a stalled client goes away mid-range", async () => {
    files.handles.clear();
    const socket = await stalledGet(`Range: bytes=1048576-${SIZE - 1}\r\n`);
    await until(() => files.handles.size > 0);
    await sleep(200);
    const [handle] = [...files.handles];
    expect(handle?.fd).toBeGreaterThan(0);
    socket.destroy();
    await until(() => handle?.fd === -1);
    expect(handle?.fd).toBe(-1);
  });

  it("serves concurrent ranges with the right bytes (buffers are reused between responses)", async () => {
    const expected = patterned(SIZE);
    const ranges = Array.from({ length: 24 }, (_, k) => {
      const start = (k * 2_654_435) % (SIZE - 3_000_000);
      return { start, end: start + 1_048_576 + k * 4097 };
    });
    await Promise.all(
      ranges.map(async ({ start, end }) => {
        const res = await fetch(`${server.origin}${VIDEO}`, {
          headers: { Range: `bytes=${start}-${end}` },
        });
        expect(res.status).toBe(206);
        const body = Buffer.from(await res.arrayBuffer());
        expect(body.equals(expected.subarray(start, end + 1))).toBe(true);
      }),
    );
  });
});
