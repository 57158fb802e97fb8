import { describe, expect, it } from "vitest";
import { parseRange, planMediaResponse } from "../../src/http/media/media-response.ts";

describe("parseRange", () => {
  it.each([
    ["bytes=0-9", 100, { start: 0, end: 9 }],
    ["bytes=90-", 100, { start: 90, end: 99 }],
    ["bytes=90-1000", 100, { start: 90, end: 99 }],
    ["bytes=-10", 100, { start: 90, end: 99 }],
    ["bytes=-1000", 100, { start: 0, end: 99 }],
    ["bytes=99-99", 100, { start: 99, end: 99 }],
    ["BYTES = 1 - 2", 100, { start: 1, end: 2 }],
  ])("%s of %d bytes → %o", (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it.each([
    ["bytes=100-", 100],
    ["bytes=100-200", 100],
    ["bytes=-0", 100],
    ["bytes=0-", 0],
    ["bytes=-5", 0],
  ])("%s of %d bytes is unsatisfiable", (header, size) => {
    expect(parseRange(header, size)).toBe("unsatisfiable");
  });

  it.each(["bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=-", "bytes=a-b", "bytes=0-1x"])(
    "%s → whole file",
    (header) => expect(parseRange(header, 100)).toBeNull(),
  );
});

describe("planMediaResponse", () => {
  const file = { size: 1000, mtime: new Date("2026-01-02T03:04:05.678Z") };
  const plan = (request: Parameters<typeof planMediaResponse>[2], key = "videos/v/a.mp4") =>
    planMediaResponse(key, file, request);
  const etag = plan({}).headers.etag!;

  it("serves 200 with validators and immutable caching", () => {
    const p = plan({});
    expect(p.status).toBe(200);
    expect(p.range).toEqual({ start: 0, end: 999 });
    expect(p.headers).toMatchObject({
      "content-type": "video/mp4",
      "content-length": "1000",
      "accept-ranges": "bytes",
      "last-modified": "Fri, 02 Jan 2026 03:04:05 GMT",
      "cache-control": "public, max-age=31536000, immutable",
    });
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
  });

  it("If-None-Match (also weak, also in a list, also *) → 304", () => {
    expect(plan({ ifNoneMatch: etag }).status).toBe(304);
    expect(plan({ ifNoneMatch: `W/${etag}` }).status).toBe(304);
    expect(plan({ ifNoneMatch: `"nope", ${etag}` }).status).toBe(304);
    expect(plan({ ifNoneMatch: "*" }).status).toBe(304);
    expect(plan({ ifNoneMatch: '"nope"' }).status).toBe(200);
  });

  it("If-Modified-Since → 304 unless the file is newer; ignored when If-None-Match is sent", () => {
    expect(plan({ ifModifiedSince: "Fri, 02 Jan 2026 03:04:05 GMT" }).status).toBe(304);
    expect(plan({ ifModifiedSince: "Fri, 02 Jan 2026 03:04:04 GMT" }).status).toBe(200);
    expect(plan({ ifModifiedSince: "garbage" }).status).toBe(200);
    expect(
      plan({ ifNoneMatch: '"nope"', ifModifiedSince: "Fri, 02 Jan 2026 03:04:05 GMT" }).status,
    ).toBe(200);
  });

  it("If-Range: a matching ETag or date keeps the range, anything else sends the whole file", () => {
    expect(plan({ range: "bytes=0-9", ifRange: etag }).status).toBe(206);
    expect(plan({ range: "bytes=0-9", ifRange: "Fri, 02 Jan 2026 03:04:05 GMT" }).status).toBe(206);
    expect(plan({ range: "bytes=0-9", ifRange: '"old"' }).status).toBe(200);
    expect(plan({ range: "bytes=0-9", ifRange: `W/${etag}` }).status).toBe(200);
  });

  it("416 names the size", () => {
    const p = plan({ range: "bytes=1000-" });
    expect(p.status).toBe(416);
    expect(p.headers["content-range"]).toBe("bytes */1000");
    expect(p.range).toBeNull();
  });

  it.each([
    ["videos/v/a.mp4", "video/mp4"],
    ["videos/v/a.webm", "video/webm"],
    ["posters/p.jpg", "image/jpeg"],
    ["captions/c/en.vtt", "text/vtt; charset=utf-8"],
  ])("%s is served as %s, inline", (key, type) => {
    const p = plan({}, key);
    expect(p.headers["content-type"]).toBe(type);
    expect(p.headers["content-disposition"]).toBeUndefined();
  });

  it.each(["a/b.html", "a/b.json", "a/b.jsonld", "a/b.svg", "a/b", "a/b.mp4.html"])(
    "%s is an attachment of type application/octet-stream",
    (key) => {
      const p = plan({}, key);
      expect(p.headers["content-type"]).toBe("application/octet-stream");
      expect(p.headers["content-disposition"]).toBe("attachment");
    },
  );
});
