import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sniffContainer } from "../../src/media/sniff.ts";
import { makeTestVideo } from "../support/media-fixtures.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "haven-sniff-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const ascii = (s: string) => new TextEncoder().encode(s);
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
function box(type: string, size: number, body: number[] = []): number[] {
  return [...u32(size), ...ascii(type), ...body];
}
const ftyp = (major: string, ...compatible: string[]) =>
  Uint8Array.from(
    box("ftyp", 16 + 4 * compatible.length, [
      ...ascii(major),
      0,
      0,
      2,
      0,
      ...compatible.flatMap((b) => [...ascii(b)]),
    ]),
  );
/** An EBML header whose only child is DocType. */
const ebml = (docType: string) =>
  Uint8Array.from([
    0x1a,
    0x45,
    0xdf,
    0xa3,
    0x80 | (3 + docType.length),
    0x42,
    0x82,
    0x80 | docType.length,
    ...ascii(docType),
  ]);

describe("sniffContainer: real files made by ffmpeg", () => {
  it.each([
    [{ container: "mp4" as const }, "mp4", "video/mp4", "mov"],
    [{ container: "mp4" as const, faststart: true }, "mp4", "video/mp4", "mov"],
    [{ container: "mov" as const }, "quicktime", "video/quicktime", "mov"],
    [{ codec: "vp9" as const, container: "webm" as const }, "webm", "video/webm", "matroska"],
  ])("%o → %s", async (options, container, mime, demuxer) => {
    const head = (await readFile(await makeTestVideo(dir, options))).subarray(0, 4096);
    expect(sniffContainer(head)).toEqual({ container, mime, demuxer });
  });
});

describe("sniffContainer: headers of other producers", () => {
  it.each([
    ["ftyp isom", ftyp("isom", "isom", "iso2", "avc1", "mp41"), "mp4"],
    ["ftyp mp42 (phones)", ftyp("mp42", "mp41", "isom"), "mp4"],
    ["ftyp iso5 (DASH)", ftyp("iso5", "iso6", "dash"), "mp4"],
    ["ftyp M4V ", ftyp("M4V ", "M4V ", "M4A ", "mp42", "isom"), "mp4"],
    ["ftyp unknown major, mp42 compatible", ftyp("XYZW", "mp42"), "mp4"],
    ["ftyp qt (iPhone .mov)", ftyp("qt  ", "qt  "), "quicktime"],
    [
      "old QuickTime: moov first",
      Uint8Array.from([...box("moov", 8), ...box("mdat", 8)]),
      "quicktime",
    ],
    [
      "old QuickTime: wide then mdat",
      Uint8Array.from([...box("wide", 8), ...box("mdat", 16, [0, 0, 0, 0, 0, 0, 0, 0])]),
      "quicktime",
    ],
    ["Matroska", ebml("matroska"), "matroska"],
    ["WebM", ebml("webm"), "webm"],
  ])("%s", (_name, bytes, container) => {
    expect(sniffContainer(bytes)?.container).toBe(container);
  });
});

describe("sniffContainer refuses what is not a video, whatever it is called", () => {
  const elf = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(56).fill(0)]);
  const png = Uint8Array.from([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    0,
    0,
    0,
    13,
    ...ascii("IHDR"),
  ]);
  it.each([
    ["HTML", ascii("<!doctype html><html><script>alert(1)</script></html>")],
    ["HTML starting with whitespace", ascii("   \n<html><body>moov mdat</body></html>")],
    ["PNG", png],
    ["ELF", elf],
    ["empty", new Uint8Array(0)],
    ["seven bytes", ascii("ftypiso")],
    ["HEIC photo (ftyp with iso8 compatible)", ftyp("heic", "mif1", "heic", "iso8")],
    ["AVIF image", ftyp("avif", "avif", "mif1", "miaf")],
    ["M4A audio", ftyp("M4A ", "M4A ", "mp42", "isom")],
    ["ftyp with unknown brands only", ftyp("abcd", "efgh")],
    ["ftyp with an absurd size", Uint8Array.from(box("ftyp", 0x7fffffff, [...ascii("isom")]))],
    ["EBML with another DocType", ebml("dvd")],
    ["an m3u8 playlist", ascii("#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1/x.ts\n")],
    ["an ffconcat list", ascii("ffconcat version 1.0\nfile '/etc/passwd'\n")],
    ["'wide' followed by garbage", Uint8Array.from([...box("wide", 8), ...ascii("<html><body>")])],
  ])("%s", (_name, bytes) => {
    expect(sniffContainer(bytes)).toBeNull();
  });
});
