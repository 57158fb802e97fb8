import { describe, expect, it } from "vitest";
import { validateWebVtt } from "../../src/media/webvtt.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const CUE = "\n\n00:00.000 --> 00:01.000\nHello, you are not alone.\n";

describe("validateWebVtt", () => {
  it.each([
    ["plain", utf8(`WEBVTT${CUE}`)],
    ["with a header text", utf8(`WEBVTT - support group captions${CUE}`)],
    ["CRLF line ends", utf8(`WEBVTT\r\n\r\n00:00.000 --> 00:01.000\r\nHi\r\n`)],
    ["only the signature", utf8("WEBVTT")],
    ["non-ASCII cue text", utf8(`WEBVTT${CUE}Ça va ? 大丈夫 🌱\n`)],
  ])("accepts %s", (_name, bytes) => {
    const result = validateWebVtt(bytes);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.startsWith("WEBVTT")).toBe(true);
  });

  it("accepts and strips a UTF-8 byte order mark", () => {
    const result = validateWebVtt(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8(`WEBVTT${CUE}`)]));
    expect(result).toEqual({ ok: true, value: `WEBVTT${CUE}` });
  });

  it.each([
    ["empty", new Uint8Array(0), /empty/],
    ["SubRip instead of WebVTT", utf8("1\n00:00:00,000 --> 00:00:01,000\nHi\n"), /WEBVTT/],
    ["a longer first word", utf8(`WEBVTTX${CUE}`), /WEBVTT/],
    ["lower case", utf8(`webvtt${CUE}`), /WEBVTT/],
    ["HTML", utf8("<html><script>alert(1)</script>"), /WEBVTT/],
    [
      "Latin-1 bytes",
      Uint8Array.from([...utf8("WEBVTT\n\n00:00.000 --> 00:01.000\n"), 0xe7, 0x61]),
      /UTF-8/,
    ],
    ["UTF-16", Uint8Array.from([0xff, 0xfe, 0x57, 0, 0x45, 0]), /UTF-8/],
    ["a NUL byte", utf8(`WEBVTT${CUE}\0`), /NUL/],
  ])("refuses %s with a clear message", (_name, bytes, message) => {
    const result = validateWebVtt(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ kind: "invalid_captions", status: 422 });
      expect(result.error.message).toMatch(message);
    }
  });

  it("refuses a file over the cap", () => {
    const big = utf8(`WEBVTT${CUE}${"x".repeat(2048)}`);
    const result = validateWebVtt(big, { maxBytes: 1024 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/larger than 1 KiB/);
  });
});
