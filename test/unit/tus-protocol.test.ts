import { describe, expect, test } from "vitest";
import {
  encodeUploadMetadata,
  parseByteCount,
  parseUploadMetadata,
} from "../../src/http/api/tus-protocol.ts";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe("Upload-Metadata", () => {
  test("decodes key/Base64 pairs, keeps known keys, drops the others", () => {
    const parsed = parseUploadMetadata(
      `channel ${b64("skills")},title ${b64("Ärger – 怒り")}, filetype ${b64("video/mp4")},language`,
    );
    expect(parsed).toEqual({
      ok: true,
      value: { channel: "skills", title: "Ärger – 怒り", language: "" },
    });
  });

  test("an absent or empty header is no metadata", () => {
    expect(parseUploadMetadata(undefined)).toEqual({ ok: true, value: {} });
    expect(parseUploadMetadata("  ")).toEqual({ ok: true, value: {} });
  });

  test.each([
    ["repeated key", `title ${b64("a")},title ${b64("b")}`],
    ["not Base64", "title ***"],
    ["Base64 without padding", "title YQ"],
    ["three parts", `title ${b64("a")} extra`],
    ["empty pair", `title ${b64("a")},,channel ${b64("b")}`],
    ["not UTF-8", `title ${Buffer.from([0xff, 0xfe]).toString("base64")}`],
  ])("%s → refused", (_, header) => {
    expect(parseUploadMetadata(header).ok).toBe(false);
  });

  test("encoding round-trips", () => {
    const value = { title: "Box breathing", description: "", tags: "dbt, calm" };
    expect(parseUploadMetadata(encodeUploadMetadata(value))).toEqual({ ok: true, value });
  });
});

describe("byte counts (Upload-Length, Upload-Offset)", () => {
  test.each([
    ["0", 0],
    ["1048576", 1048576],
    ["", null],
    ["-1", null],
    ["+1", null],
    ["1e6", null],
    ["1.5", null],
    [" 10", null],
    ["0x10", null],
    ["99999999999999999", null],
  ])("%j → %j", (raw, expected) => {
    expect(parseByteCount(raw)).toBe(expected);
  });
  test("absent → null", () => expect(parseByteCount(undefined)).toBeNull());
});
