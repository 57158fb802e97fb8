/**
 * A channel's avatar and header, uploaded as Mastodon's update_credentials
 * sends them (multipart `avatar` / `header`), through the real HTTP app:
 * the type comes from the bytes, metadata is stripped, sizes are bounded, and
 * the actor document shows the new images.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resolveMediaBinaries, runTool } from "../../src/media/media-tools.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

let t: TestDatabase;
let haven: TestHaven;
let owner: string;
let stranger: string;
const work = mkdtempSync(join(tmpdir(), "haven-images-"));

// ------------------------------------------------------------ image fixtures

async function ffmpegImage(name: string, size: string, codec: "png" | "mjpeg"): Promise<Buffer> {
  const path = join(work, name);
  const run = await runTool(
    resolveMediaBinaries().ffmpeg,
    [
      ...["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", `testsrc=size=${size}`],
      ...["-frames:v", "1", "-c:v", codec, "-f", "image2", "-update", "1", path],
    ],
    { timeoutMs: 30_000 },
  );
  if (run.exitCode !== 0) throw new Error(run.stderr);
  return readFileSync(path);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** PNG chunk types, in order. */
function pngChunks(png: Buffer): string[] {
  const types: string[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    types.push(png.toString("latin1", at + 4, at + 8));
    at += 12 + length;
  }
  return types;
}

const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

/** Inserts text and EXIF chunks (with a GPS position) right after IHDR. */
function withPngMetadata(png: Buffer): Buffer {
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([
    png.subarray(0, ihdrEnd),
    pngChunk("tEXt", Buffer.from("Comment\0taken at home, 52.5200N 13.4050E", "latin1")),
    pngChunk("eXIf", Buffer.from("MM\0*\0\0\0\bGPSLatitude 52.52", "latin1")),
    png.subarray(ihdrEnd),
  ]);
}

/** Inserts an APP1 Exif segment naming a GPS position right after SOI. */
function withJpegExif(jpeg: Buffer): Buffer {
  const payload = Buffer.from(
    "Exif\0\0MM\0*\0\0\0\bGPSLatitude 52.52 GPSLongitude 13.40",
    "latin1",
  );
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, payload, jpeg.subarray(2)]);
}

/** JPEG marker segments before the image data. */
function jpegMarkers(jpeg: Buffer): number[] {
  const markers: number[] = [];
  for (let at = 2; at + 4 <= jpeg.length && jpeg[at] === 0xff; ) {
    const marker = jpeg[at + 1]!;
    markers.push(marker);
    if (marker === 0xda) break; // start of scan
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return markers;
}

// ------------------------------------------------------------ helpers

const blob = (bytes: Buffer) => new Blob([new Uint8Array(bytes)]);

const patch = (name: string, parts: Record<string, Blob | string>, token = owner) => {
  const body = new FormData();
  for (const [key, value] of Object.entries(parts)) {
    if (typeof value === "string") body.set(key, value);
    else body.set(key, value, `${key}.png`);
  }
  return fetch(`${haven.origin}/api/v1/channels/${name}`, {
    method: "PATCH",
    headers: { Authorization: `Bearer ${token}` },
    body,
  });
};

const mediaRoot = () => join(haven.config.dataDir, "media");
const storedImages = () =>
  existsSync(join(mediaRoot(), "channels"))
    ? readdirSync(join(mediaRoot(), "channels"), { recursive: true }).filter((f) =>
        String(f).includes("."),
      )
    : [];

async function actor(name: string) {
  const res = await fetch(`${haven.origin}/users/${name}`, {
    headers: { Accept: "application/activity+json" },
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function download(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { type: res.headers.get("content-type"), bytes: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  ({ token: owner } = await haven.createUser("painter"));
  ({ token: stranger } = await haven.createUser("stranger"));
  for (const name of ["pictures", "refusals"]) {
    const res = await fetch(`${haven.origin}/api/v1/channels`, {
      method: "POST",
      headers: { Authorization: `Bearer ${owner}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name }),
    });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await haven.close();
  await t.close();
  rmSync(work, { recursive: true, force: true });
});

describe("channel avatar and header", () => {
  test("a PNG avatar loses its text and EXIF chunks, is bounded to 400², and becomes the actor's icon", async () => {
    const source = withPngMetadata(await ffmpegImage("big.png", "1000x800", "png"));
    expect(pngChunks(source)).toContain("eXIf");
    const res = await patch("pictures", {
      avatar: blob(source),
      display_name: "Pictures",
    });
    expect(res.status).toBe(200);
    const channel = await res.json();
    expect(channel.display_name).toBe("Pictures");
    expect(channel.avatar).toMatch(
      new RegExp(`^${haven.origin}/media/channels/[0-9a-f-]{36}/avatar-[0-9a-f]{16}\\.png$`),
    );

    const group = await actor("pictures");
    expect(group.icon).toEqual({ type: "Image", url: channel.avatar, mediaType: "image/png" });
    const served = await download(channel.avatar);
    expect(served.type).toBe("image/png");
    const chunks = pngChunks(served.bytes);
    expect(chunks[0]).toBe("IHDR");
    for (const type of ["tEXt", "zTXt", "iTXt", "eXIf"]) expect(chunks).not.toContain(type);
    expect(served.bytes.includes(Buffer.from("GPS"))).toBe(false);
    expect(served.bytes.includes(Buffer.from("52.52"))).toBe(false);
    expect(pngSize(served.bytes)).toEqual({ width: 400, height: 320 });
  });

  test("a JPEG header loses its EXIF (GPS) segment, stays JPEG, fits 1500×500; the old one is deleted", async () => {
    const first = await patch("pictures", {
      header: blob(await ffmpegImage("h1.jpg", "600x200", "mjpeg")),
    });
    expect(first.status).toBe(200);
    const oldHeader = (await first.json()).header as string;

    const source = withJpegExif(await ffmpegImage("wide.jpg", "3000x600", "mjpeg"));
    expect(jpegMarkers(source)).toContain(0xe1);
    const res = await patch("pictures", { header: blob(source) });
    expect(res.status).toBe(200);
    const channel = await res.json();
    expect(channel.header).toMatch(/\/header-[0-9a-f]{16}\.jpg$/);
    expect(channel.avatar).toMatch(/\/avatar-/); // untouched

    const group = await actor("pictures");
    expect(group.image).toEqual({ type: "Image", url: channel.header, mediaType: "image/jpeg" });
    const served = await download(channel.header);
    expect(served.type).toBe("image/jpeg");
    expect(jpegMarkers(served.bytes)).not.toContain(0xe1);
    expect(served.bytes.includes(Buffer.from("Exif"))).toBe(false);
    expect(served.bytes.includes(Buffer.from("GPS"))).toBe(false);
    // SOF0 carries height then width.
    const sof = served.bytes.indexOf(Buffer.from([0xff, 0xc0]));
    expect(served.bytes.readUInt16BE(sof + 7)).toBe(1500);
    expect(served.bytes.readUInt16BE(sof + 5)).toBe(300);

    expect((await fetch(oldHeader)).status).toBe(404);
  });

  test("an HTML page named avatar.png is 415 and nothing is stored or changed", async () => {
    const before = storedImages().length;
    const html = new Blob(["<!doctype html><html><script>alert(1)</script></html>".repeat(10)], {
      type: "image/png",
    });
    const res = await patch("refusals", { avatar: html, display_name: "Changed?" });
    expect(res.status).toBe(415);
    expect((await res.json()).error).toMatch(/not an image/);
    expect(storedImages().length).toBe(before);
    expect(readdirSync(haven.deps.stagingDir)).toEqual([]);
    const channel = await (await fetch(`${haven.origin}/api/v1/channels/refusals`)).json();
    expect(channel).toMatchObject({ avatar: null, display_name: "refusals" });
  });

  test("an image over 8 MiB is 413; a damaged one 422; an unknown part 400; none leaves a file", async () => {
    const png = await ffmpegImage("small.png", "32x32", "png");
    const big = Buffer.concat([png, Buffer.alloc(8 * 1024 * 1024)]);
    const tooBig = await patch("refusals", { avatar: blob(big) });
    expect(tooBig.status).toBe(413);

    const damaged = Buffer.concat([png.subarray(0, 40), Buffer.alloc(200, 7)]);
    const broken = await patch("refusals", { header: blob(damaged) });
    expect(broken.status).toBe(422);

    const unknown = await patch("refusals", { banner: blob(png) });
    expect(unknown.status).toBe(400);

    expect(readdirSync(haven.deps.stagingDir)).toEqual([]);
    const channel = await (await fetch(`${haven.origin}/api/v1/channels/refusals`)).json();
    expect(channel).toMatchObject({ avatar: null, header: null });
  });

  test("only the channel's managers may change its pictures", async () => {
    const png = await ffmpegImage("small.png", "32x32", "png");
    const res = await patch("refusals", { avatar: blob(png) }, stranger);
    expect(res.status).toBe(403);
    expect((await (await fetch(`${haven.origin}/api/v1/channels/refusals`)).json()).avatar).toBe(
      null,
    );
  });
});
