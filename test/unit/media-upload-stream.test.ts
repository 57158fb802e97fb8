import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stageVideoUpload } from "../../src/media/upload-stream.ts";
import { makeTestVideo } from "../support/media-fixtures.ts";

let dir: string;
let staging: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "haven-stage-"));
  staging = join(dir, "staging");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const chunksOf = (bytes: Uint8Array, size: number) =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
    bytes.subarray(i * size, (i + 1) * size),
  );

describe("stageVideoUpload", () => {
  it("accepts every body shape: web stream, Node stream, async iterable", async () => {
    const mp4 = await readFile(await makeTestVideo(dir));
    const bodies = [
      () => new Blob([mp4]).stream(),
      () => Readable.from(chunksOf(mp4, 1000)),
      () =>
        (async function* () {
          yield* chunksOf(mp4, 7);
        })(),
    ];
    for (const body of bodies) {
      const result = await stageVideoUpload(body(), { stagingDir: staging, maxBytes: 1 << 20 });
      expect(result.ok).toBe(true);
      if (result.ok) expect(await readFile(result.value.path)).toEqual(mp4);
    }
    expect(await readdir(staging)).toHaveLength(3);
  });

  it("refuses an endless non-video body after its first bytes, without reading on", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1024;
        controller.enqueue(new TextEncoder().encode("<html>".padEnd(1024, " ")));
      },
    });
    const result = await stageVideoUpload(endless, { stagingDir: staging, maxBytes: 1 << 30 });
    expect(result.ok ? "accepted" : result.error.status).toBe(415);
    expect(pulled).toBeLessThan(64 * 1024);
    expect(await readdir(staging)).toEqual([]);
  });

  it("a client that goes away mid-upload (request signal) → 400, partial file deleted", async () => {
    const mp4 = await readFile(await makeTestVideo(dir));
    const abort = new AbortController();
    let sent = false;
    const stalling = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) {
          // The client vanishes while the server waits for more bytes.
          setTimeout(() => abort.abort(), 20);
          return;
        }
        sent = true;
        controller.enqueue(mp4.subarray(0, 8192));
      },
    });
    const result = await stageVideoUpload(stalling, {
      stagingDir: staging,
      maxBytes: 1 << 20,
      signal: abort.signal,
    });
    expect(result.ok ? "accepted" : result.error).toMatchObject({ kind: "truncated", status: 400 });
    expect(await readdir(staging)).toEqual([]);
  });

  it("a body shorter than its declared length → 400 truncated", async () => {
    const mp4 = await readFile(await makeTestVideo(dir));
    const result = await stageVideoUpload(Readable.from([mp4]), {
      stagingDir: staging,
      maxBytes: 1 << 20,
      expectedBytes: mp4.length + 1,
    });
    expect(result.ok ? "accepted" : result.error.kind).toBe("truncated");
    expect(await readdir(staging)).toEqual([]);
  });

  it("a stream that errors midway → 400, partial file deleted", async () => {
    const mp4 = await readFile(await makeTestVideo(dir));
    const failing = (async function* () {
      yield mp4.subarray(0, 10_000);
      throw new Error("ECONNRESET");
    })();
    const result = await stageVideoUpload(failing, { stagingDir: staging, maxBytes: 1 << 20 });
    expect(result.ok ? "accepted" : result.error).toMatchObject({ kind: "truncated", status: 400 });
    expect(await readdir(staging)).toEqual([]);
  });
});
