import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTopLevelBoxes } from "../../src/media/container-integrity.ts";
import { resolveMediaBinaries, runTool } from "../../src/media/media-tools.ts";
import { makePoster } from "../../src/media/poster.ts";
import { type ProbeResult, probe } from "../../src/media/probe.ts";
import { encodeUnderSize, frameFor } from "../../src/media/size-capped.ts";
import { isFaststart, toWebPlayable } from "../../src/media/transcode.ts";
import { makeTestVideo, truncatedCopy } from "../support/media-fixtures.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "haven-processing-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const out = (name: string) => join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
async function probed(path: string): Promise<ProbeResult> {
  const result = await probe(path);
  if (!result.ok) throw new Error(`probe failed: ${JSON.stringify(result.error)}`);
  return result.value;
}
async function formatTags(path: string): Promise<Record<string, string>> {
  const run = await runTool(
    resolveMediaBinaries().ffprobe,
    ["-v", "error", "-print_format", "json", "-show_format", path],
    { timeoutMs: 10_000 },
  );
  return (
    (JSON.parse(run.stdout) as { format: { tags?: Record<string, string> } }).format.tags ?? {}
  );
}

describe("probe", () => {
  it("describes an H.264/AAC MP4", async () => {
    const info = await probed(await makeTestVideo(dir, { container: "mp4" }));
    expect(info).toMatchObject({
      container: "mp4",
      mime: "video/mp4",
      width: 160,
      height: 120,
      rotation: 0,
      videoCodec: "h264",
      audioCodec: "aac",
      pixelFormat: "yuv420p",
      fps: 15,
    });
    expect(info.durationSeconds).toBeCloseTo(2, 1);
    expect(info.sizeBytes).toBeGreaterThan(0);
  });

  it("describes a VP9/Opus WebM and a silent video", async () => {
    expect(await probed(await makeTestVideo(dir, { codec: "vp9" }))).toMatchObject({
      container: "webm",
      videoCodec: "vp9",
      audioCodec: "opus",
    });
    expect((await probed(await makeTestVideo(dir, { audio: false }))).audioCodec).toBeNull();
  });

  it("reports a phone's rotation and the size as displayed", async () => {
    const info = await probed(await makeTestVideo(dir, { rotate: 90 }));
    expect([90, 270]).toContain(info.rotation);
    expect({ width: info.width, height: info.height }).toEqual({ width: 120, height: 160 });
  });

  it.each([
    ["MP4 with its index at the end", { container: "mp4" as const }, 0.6],
    ["MP4 with its index first (ffprobe alone would accept it)", { faststart: true }, 0.9],
    ["MOV", { container: "mov" as const }, 0.5],
    ["WebM", { codec: "vp9" as const }, 0.7],
  ])("a truncated %s → 422 truncated, with a reason", async (_name, options, fraction) => {
    const cut = await truncatedCopy(await makeTestVideo(dir, options), out("cut"), fraction);
    const result = await probe(cut);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ kind: "truncated", status: 422 });
      expect(result.error.message).toMatch(/cut short|incomplete/);
    }
  });

  it("a live WebM (no sizes, no duration) is measured; cut short, it is caught by decoding", async () => {
    const live = out("live.webm");
    const made = await runTool(
      resolveMediaBinaries().ffmpeg,
      [
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=15:duration=2",
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-pix_fmt",
        "yuv420p",
        "-live",
        "1",
        "-f",
        "webm",
        live,
      ],
      { timeoutMs: 60_000 },
    );
    expect(made.exitCode).toBe(0);
    const info = await probed(live);
    expect(info.durationSeconds).toBeGreaterThan(1.5);
    const cut = await truncatedCopy(live, out("live-cut.webm"), 0.7);
    const result = await probe(cut);
    expect(result.ok ? "accepted" : result.error.kind).toBe("truncated");
  });

  it("a damaged MP4 (garbage inside the media data) → 422 undecodable", async () => {
    const source = await makeTestVideo(dir, { seconds: 3, width: 320, height: 240 });
    const bytes = await readFile(source);
    const mdat = (await readTopLevelBoxes(source)).boxes.find((b) => b.type === "mdat")!;
    for (
      let i = mdat.offset + Math.floor(mdat.size * 0.3);
      i < mdat.offset + mdat.size * 0.6;
      i++
    ) {
      bytes[i] = (i * 7919) & 255;
    }
    const damaged = out("damaged.mp4");
    await writeFile(damaged, bytes);
    const result = await probe(damaged);
    expect(result.ok ? "accepted" : result.error).toMatchObject({
      kind: "undecodable",
      status: 422,
    });
  });

  it("a non-video renamed .mp4 → 415", async () => {
    const fake = out("clip.mp4");
    await writeFile(fake, "<!doctype html><script>alert(1)</script>");
    const result = await probe(fake);
    expect(result.ok ? "accepted" : result.error).toMatchObject({
      kind: "unsupported_type",
      status: 415,
    });
  });
});

describe("ffmpeg opens only the staged file", () => {
  it("a playlist naming a loopback URL is refused and nothing is fetched, even if mis-sniffed", async () => {
    let connections = 0;
    const server = createServer((_req, res) => res.end("x"));
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const playlist = out("clip.mp4");
      await writeFile(
        playlist,
        `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nhttp://127.0.0.1:${port}/segment.ts\n#EXT-X-ENDLIST\n`,
      );
      const refused = await probe(playlist);
      expect(refused.ok ? "accepted" : refused.error.status).toBe(415);
      // Pretend the sniffer had been fooled: the forced demuxer and the
      // protocol whitelist still keep ffmpeg off the network.
      const real = await probed(await makeTestVideo(dir));
      const converted = await toWebPlayable(playlist, out("x.mp4"), {
        source: { ...real, demuxer: "mov" },
      });
      expect(converted.ok).toBe(false);
      const poster = await makePoster(playlist, out("x.jpg"), {
        source: { ...real, demuxer: "mov" },
      });
      expect(poster.ok).toBe(false);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe("toWebPlayable", () => {
  it("transcodes a VP9/Opus WebM to an H.264/AAC MP4 with moov before mdat", async () => {
    const target = out("web.mp4");
    const result = await toWebPlayable(await makeTestVideo(dir, { codec: "vp9" }), target);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.mode).toBe("transcode");
    expect(result.value.output).toMatchObject({
      container: "mp4",
      videoCodec: "h264",
      audioCodec: "aac",
      pixelFormat: "yuv420p",
      width: 160,
      height: 120,
    });
    expect(result.value.output.durationSeconds).toBeCloseTo(2, 0);
    const types = (await readTopLevelBoxes(target)).boxes.map((b) => b.type);
    expect(types.indexOf("moov")).toBeGreaterThan(-1);
    expect(types.indexOf("moov")).toBeLessThan(types.indexOf("mdat"));
    // The output itself decodes cleanly.
    expect((await probe(target, { decodeCheck: "full" })).ok).toBe(true);
  });

  it("only remuxes an H.264/AAC MP4, moving its index to the front", async () => {
    const source = await makeTestVideo(dir, { container: "mp4" });
    expect(await isFaststart(source)).toBe(false);
    const target = out("remuxed.mp4");
    const result = await toWebPlayable(source, target);
    expect(result.ok ? result.value.mode : result.error).toBe("remux");
    expect(await isFaststart(target)).toBe(true);
  });

  it("remuxes an iPhone-style MOV into MP4", async () => {
    const result = await toWebPlayable(
      await makeTestVideo(dir, { container: "mov" }),
      out("mov.mp4"),
    );
    expect(result.ok ? [result.value.mode, result.value.output.container] : result.error).toEqual([
      "remux",
      "mp4",
    ]);
  });

  it.each([
    ["remux", { container: "mp4" as const }],
    ["transcode", { codec: "vp9" as const }],
  ])("strips the recording location and other metadata (%s)", async (mode, options) => {
    const source = await makeTestVideo(dir, {
      ...options,
      metadata: { location: "+48.8577+002.2950/", title: "at the clinic", comment: "private" },
    });
    expect(Object.keys(await formatTags(source)).length).toBeGreaterThan(0);
    const target = out("clean.mp4");
    const result = await toWebPlayable(source, target);
    expect(result.ok ? result.value.mode : result.error).toBe(mode);
    const tags = await formatTags(target);
    for (const key of ["location", "title", "comment", "com.apple.quicktime.location.ISO6709"]) {
      expect(tags[key]).toBeUndefined();
    }
  });

  it("turns a rotated phone video upright", async () => {
    const result = await toWebPlayable(
      await makeTestVideo(dir, { rotate: 90 }),
      out("upright.mp4"),
    );
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.mode).toBe("transcode");
      expect(result.value.output).toMatchObject({ width: 120, height: 160, rotation: 0 });
    }
  });

  it("scales down to the limits, keeping even dimensions", async () => {
    const result = await toWebPlayable(await makeTestVideo(dir), out("small.mp4"), {
      maxLongSide: 100,
      maxShortSide: 100,
    });
    expect(result.ok ? result.value.output : result.error).toMatchObject({
      width: 100,
      height: 74,
    });
  });

  it("a silent video stays silent", async () => {
    const result = await toWebPlayable(
      await makeTestVideo(dir, { codec: "vp9", audio: false }),
      out("silent.mp4"),
    );
    expect(result.ok ? result.value.output.audioCodec : result.error).toBeNull();
  });

  it("kills ffmpeg at the deadline and leaves no output", async () => {
    const target = out("late.mp4");
    const source = await makeTestVideo(dir, { codec: "vp9" });
    const info = await probed(source);
    const result = await toWebPlayable(source, target, { source: info, timeoutMs: 1 });
    expect(result.ok ? "finished" : result.error).toMatchObject({
      kind: "processing_failed",
      status: 500,
    });
    await expect(stat(target)).rejects.toThrow();
  });
});

describe("encodeUnderSize (the compact rendition a post attaches)", () => {
  it("a file over the cap becomes an H.264/AAC MP4 under it, faststart, with a smaller frame", async () => {
    const source = await probed(
      await makeTestVideo(dir, { width: 640, height: 360, seconds: 6, faststart: true }),
    );
    const cap = 100_000;
    expect(source.sizeBytes).toBeGreaterThan(cap);
    const target = out("compact.mp4");
    const result = await encodeUnderSize(
      await makeTestVideo(dir, { width: 640, height: 360, seconds: 6, faststart: true }),
      target,
      { source, maxBytes: cap },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.error));
    const made = await probed(target);
    expect(made).toMatchObject({ videoCodec: "h264", audioCodec: "aac", pixelFormat: "yuv420p" });
    expect(made.sizeBytes).toBeLessThanOrEqual(cap);
    expect((await stat(target)).size).toBe(made.sizeBytes);
    expect(made.height).toBeLessThan(360);
    expect(made.width / made.height).toBeCloseTo(16 / 9, 1);
    expect(made.durationSeconds).toBeCloseTo(6, 0);
    expect(await isFaststart(target)).toBe(true);
  });

  it("a cap no watchable bitrate fits → processing_failed, no file left", async () => {
    const input = await makeTestVideo(dir, { width: 640, height: 360, seconds: 6 });
    const target = out("hopeless.mp4");
    const result = await encodeUnderSize(input, target, {
      source: await probed(input),
      maxBytes: 20_000,
    });
    expect(result.ok ? "encoded" : result.error.kind).toBe("processing_failed");
    await expect(stat(target)).rejects.toThrow();
  });

  it("the frame: the largest rung below the source the bitrate keeps watchable", () => {
    const hd = { width: 1920, height: 1080, fps: 30 };
    expect(frameFor(hd, 3_000_000)).toEqual({ width: 1280, height: 720 });
    expect(frameFor(hd, 800_000)).toEqual({ width: 852, height: 480 });
    expect(frameFor(hd, 400_000)).toEqual({ width: 640, height: 360 });
    expect(frameFor({ ...hd, width: 1080, height: 1920 }, 3_000_000)).toEqual({
      width: 720,
      height: 1280,
    });
    // Already small: two thirds of it, never the same height (PeerTube keys files by height).
    expect(frameFor({ width: 160, height: 120, fps: 15 }, 1_000_000)).toEqual({
      width: 106,
      height: 80,
    });
    expect(frameFor(hd, 1_000)).toEqual({ width: 256, height: 144 });
    expect(frameFor({ width: 1280, height: 720, fps: 30 }, 1_000_000)).toEqual({
      width: 852,
      height: 480,
    });
  });
});

describe("makePoster", () => {
  it("writes an upright JPEG of the displayed size", async () => {
    const target = out("poster.jpg");
    const result = await makePoster(await makeTestVideo(dir, { rotate: 90 }), target);
    expect(result.ok ? result.value : result.error).toMatchObject({ width: 120, height: 160 });
    const jpeg = await readFile(target);
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const info = await runTool(
      resolveMediaBinaries().ffprobe,
      ["-v", "error", "-show_entries", "stream=width,height,codec_name", "-of", "json", target],
      { timeoutMs: 10_000 },
    );
    expect(JSON.parse(info.stdout).streams[0]).toMatchObject({
      codec_name: "mjpeg",
      width: 120,
      height: 160,
    });
  });

  it("takes a frame from a very short clip", async () => {
    const short = await makeTestVideo(dir, { seconds: 0.5 as number });
    const target = out("short.jpg");
    const result = await makePoster(short, target);
    expect(result.ok).toBe(true);
    expect((await stat(target)).size).toBeGreaterThan(0);
  });

  it("a file with a % in its name is written under that exact name", async () => {
    const target = join(dir, "poster-%d-%03d.jpg");
    const source = join(dir, "100%.mp4");
    await copyFile(await makeTestVideo(dir), source);
    expect((await makePoster(source, target)).ok).toBe(true);
    expect((await stat(target)).size).toBeGreaterThan(0);
  });
});
