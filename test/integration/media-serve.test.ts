import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveMedia } from "../../src/http/media/serve.ts";
import { LocalMediaStorage } from "../../src/media/storage.ts";
import { listenOnLoopback, rawExchange } from "../support/media-fixtures.ts";

let base: string;
let app: Hono;
let server: Awaited<ReturnType<typeof listenOnLoopback>>;
const video = randomBytes(300 * 1024 + 17); // spans several read chunks
/** What the alias resolver of `/aliased/` was asked. */
const asked: string[] = [];
const ALIASES: Record<string, string> = {
  "videos/v1/v1-720.mp4": "videos/v1/video.mp4",
  "videos/v1/escape.mp4": "../secret.txt",
  "videos/v1/gone.mp4": "videos/v1/missing.mp4",
};
const SIZE = video.length;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "haven-serve-"));
  const storage = new LocalMediaStorage(join(base, "media"));
  const put = async (key: string, content: string | Uint8Array) => {
    const from = join(base, `staged-${randomBytes(4).toString("hex")}`);
    await writeFile(from, content);
    await storage.put(key, from);
  };
  await put("videos/v1/video.mp4", video);
  await put("videos/v1/video.webm", "webm");
  await put("videos/v1/poster.jpg", "jpg");
  await put("videos/v1/en.vtt", "WEBVTT\n");
  await put("files/page.html", "<script>alert(1)</script>");
  await put("files/actor.json", '{"type":"Person"}');
  await put("files/noext", "x");
  await writeFile(join(base, "secret.txt"), "outside the media root");
  app = new Hono();
  app.on(
    ["GET", "OPTIONS"],
    "/media/:key{.+}",
    serveMedia(storage, { keyFromRequest: (c) => c.req.param("key") }),
  );
  app.on(
    ["GET", "OPTIONS"],
    "/aliased/:key{.+}",
    serveMedia(storage, {
      keyFromRequest: (c) => c.req.param("key"),
      resolveMissing: async (key) => {
        asked.push(key);
        return ALIASES[key] ?? null;
      },
      download: () => "clip.mp4",
    }),
  );
  server = await listenOnLoopback(app.fetch);
});
afterAll(async () => {
  await server.close();
  await rm(base, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  fetch(`${server.origin}${path}`, { method, headers });
const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());
const VIDEO = "/media/videos/v1/video.mp4";

describe("GET", () => {
  it("serves the whole file with inert, cacheable, cross-origin headers", async () => {
    const res = await get(VIDEO);
    expect(res.status).toBe(200);
    expect(await bytes(res)).toEqual(video);
    const h = Object.fromEntries(res.headers);
    expect(h).toMatchObject({
      "content-type": "video/mp4",
      "content-length": String(SIZE),
      "accept-ranges": "bytes",
      "cache-control": "public, max-age=31536000, immutable",
      "access-control-allow-origin": "*",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
    });
    expect(h.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(new Date(h["last-modified"]!).getTime()).not.toBeNaN();
    expect(h["access-control-expose-headers"]).toMatch(/Content-Range/);
  });

  it.each([
    ["bytes=0-0", 0, 0],
    ["bytes=0-99", 0, 99],
    ["bytes=131000-140000", 131000, 140000], // across a read-chunk edge
    [`bytes=${SIZE - 10}-`, SIZE - 10, SIZE - 1],
    ["bytes=-500", SIZE - 500, SIZE - 1],
    [`bytes=1000-${SIZE + 5000}`, 1000, SIZE - 1],
  ])("Range %s → 206 with exactly those bytes", async (range, start, end) => {
    const res = await get(VIDEO, { range });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${SIZE}`);
    expect(res.headers.get("content-length")).toBe(String(end - start + 1));
    expect(await bytes(res)).toEqual(video.subarray(start, end + 1));
  });

  it.each([`bytes=${SIZE}-`, `bytes=${SIZE + 1}-${SIZE + 10}`, "bytes=-0"])(
    "unsatisfiable %s → 416 naming the size",
    async (range) => {
      const res = await get(VIDEO, { range });
      expect(res.status).toBe(416);
      expect(res.headers.get("content-range")).toBe(`bytes */${SIZE}`);
      expect((await bytes(res)).length).toBe(0);
    },
  );

  it("several ranges → the whole file, 200", async () => {
    const res = await get(VIDEO, { range: "bytes=0-9,100-109" });
    expect(res.status).toBe(200);
    expect(await bytes(res)).toEqual(video);
  });

  it("If-None-Match with the ETag → 304 without a body; a stale one → 200", async () => {
    const etag = (await get(VIDEO, {}, "HEAD")).headers.get("etag")!;
    const res = await get(VIDEO, { "if-none-match": etag });
    expect(res.status).toBe(304);
    expect(res.headers.get("etag")).toBe(etag);
    expect((await bytes(res)).length).toBe(0);
    expect((await get(VIDEO, { "if-none-match": '"other"' })).status).toBe(200);
  });

  it("If-Modified-Since → 304", async () => {
    const lastModified = (await get(VIDEO, {}, "HEAD")).headers.get("last-modified")!;
    expect((await get(VIDEO, { "if-modified-since": lastModified })).status).toBe(304);
  });

  it("If-Range: the current ETag keeps the range, a stale one gets the whole file", async () => {
    const etag = (await get(VIDEO, {}, "HEAD")).headers.get("etag")!;
    expect((await get(VIDEO, { range: "bytes=0-9", "if-range": etag })).status).toBe(206);
    const stale = await get(VIDEO, { range: "bytes=0-9", "if-range": '"stale"' });
    expect(stale.status).toBe(200);
    expect((await bytes(stale)).length).toBe(SIZE);
  });

  it.each([
    ["videos/v1/video.webm", "video/webm"],
    ["videos/v1/poster.jpg", "image/jpeg"],
    ["videos/v1/en.vtt", "text/vtt; charset=utf-8"],
  ])("%s → %s, inline", async (key, type) => {
    const res = await get(`/media/${key}`);
    expect(res.headers.get("content-type")).toBe(type);
    expect(res.headers.get("content-disposition")).toBeNull();
  });

  it.each(["files/page.html", "files/actor.json", "files/noext"])(
    "%s is never served as HTML or ActivityPub: octet-stream attachment",
    async (key) => {
      const res = await get(`/media/${key}`, { accept: "application/activity+json, text/html" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toBe("attachment");
    },
  );
});

describe("HEAD", () => {
  const comparable = (res: Response) => {
    const h = Object.fromEntries(res.headers);
    for (const hop of ["date", "connection", "keep-alive", "transfer-encoding"]) delete h[hop];
    return h;
  };

  it.each<Record<string, string>>([{}, { range: "bytes=10-19" }, { range: `bytes=${SIZE}-` }])(
    "has the same status and headers as GET (%o), and no body",
    async (headers) => {
      const viaGet = await get(VIDEO, headers);
      await bytes(viaGet);
      const viaHead = await get(VIDEO, headers, "HEAD");
      expect(viaHead.status).toBe(viaGet.status);
      expect(comparable(viaHead)).toEqual(comparable(viaGet));
      expect((await bytes(viaHead)).length).toBe(0);
    },
  );
});

describe("what is not there", () => {
  it("a missing key → 404", async () => {
    const res = await get("/media/videos/v1/missing.mp4");
    expect(res.status).toBe(404);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it.each([
    "/media/..%2fsecret.txt",
    "/media/..%2F..%2Fsecret.txt",
    "/media/videos/..%2F..%2Fsecret.txt",
    "/media/%2e%2e/secret.txt",
    "/media/videos/v1/..%2f..%2f..%2fsecret.txt",
    "/media/VIDEOS/V1/VIDEO.MP4",
    "/media/videos/v1/video.mp4%00.jpg",
    "/media/videos//v1/video.mp4",
    "/media/.%2Fvideos/v1/video.mp4",
  ])("traversal or odd key %s → 404", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("outside the media root");
  });

  it.each([
    "/media/../secret.txt",
    "/media/videos/../../secret.txt",
    "/media/videos/v1/../../../secret.txt",
  ])(
    "a raw %s the client did not normalise → refused, nothing from outside the root",
    async (path) => {
      const reply = await rawExchange(server.port, [
        `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ]);
      // @hono/node-server itself answers 400 to dot segments; either way no file.
      expect(reply).toMatch(/^HTTP\/1\.1 (400|404) /);
      expect(reply).not.toContain("outside the media root");
    },
  );
});

describe("the wire", () => {
  it("answers a CORS preflight for Range requests", async () => {
    const res = await get(
      VIDEO,
      {
        origin: "https://elsewhere.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "range",
      },
      "OPTIONS",
    );
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toMatch(/Range/);
  });

  it("survives a client that hangs up mid-file", async () => {
    await new Promise<void>((resolve) => {
      const req = request(`${server.origin}${VIDEO}`, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    const res = await get(VIDEO, { range: "bytes=0-9" });
    expect(await bytes(res)).toEqual(video.subarray(0, 10));
  });

  it("gives the same answer without @hono/node-server (web streams, app.request)", async () => {
    const res = await app.request(VIDEO, { headers: { range: "bytes=131000-140000" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 131000-140000/${SIZE}`);
    expect(await bytes(res)).toEqual(video.subarray(131000, 140001));
  });
});

describe("aliases and downloads (serveMedia options)", () => {
  it("a stored key is served without asking the resolver; a missing one through its alias, with Range", async () => {
    asked.length = 0;
    const direct = await get("/aliased/videos/v1/video.mp4", { range: "bytes=0-9" });
    expect(await bytes(direct)).toEqual(video.subarray(0, 10));
    expect(asked).toEqual([]);
    const res = await get("/aliased/videos/v1/v1-720.mp4", { range: "bytes=131000-140000" });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 131000-140000/${SIZE}`);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="clip.mp4"');
    expect(await bytes(res)).toEqual(video.subarray(131000, 140001));
    expect(asked).toEqual(["videos/v1/v1-720.mp4"]);
  });

  it("an alias that is no valid key, or names nothing stored → 404", async () => {
    for (const path of ["escape.mp4", "gone.mp4", "unknown.mp4"]) {
      const res = await get(`/aliased/videos/v1/${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain("outside the media root");
    }
  });
});
