import { expect, test } from "vitest";
import { sniffImage } from "../../src/media/image-sniff.ts";

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? [...Buffer.from(p, "latin1")] : p)));

test("PNG, JPEG, GIF and WebP are told by their first bytes", () => {
  const pad = new Array(16).fill(0);
  expect(sniffImage(bytes([0x89], "PNG\r\n\x1a\n", pad))?.format).toBe("png");
  expect(sniffImage(bytes([0xff, 0xd8, 0xff, 0xe0], pad))?.format).toBe("jpeg");
  expect(sniffImage(bytes("GIF89a", pad))).toEqual({ format: "gif", demuxer: "gif" });
  expect(sniffImage(bytes("RIFF", [0, 0, 0, 0], "WEBPVP8 ", pad))?.demuxer).toBe("webp_pipe");
});

test("HTML, SVG, videos, RIFF audio and short files are not images", () => {
  const pad = new Array(16).fill(0x20);
  for (const head of [
    bytes("<!doctype html><html>", pad),
    bytes('<svg xmlns="http://www.w3.org/2000/svg" onload="x">'),
    bytes([0, 0, 0, 0x20], "ftypisom", pad),
    bytes("RIFF", [0, 0, 0, 0], "WAVEfmt ", pad),
    bytes([0x89], "PNG"),
    bytes(),
  ]) {
    expect(sniffImage(head)).toBeNull();
  }
});
