import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { findAccountById } from "../../src/accounts/account.service.ts";
import { issueToken } from "../../src/accounts/token.service.ts";
import { MEDIA_QUEUE } from "../../src/app.ts";
import { queryRows } from "../../src/db/client.ts";
import { cleanExpiredUploads } from "../../src/uploads/upload.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { makeTestVideo } from "../support/media-fixtures.ts";

const MAX = 2 * 1024 * 1024;
const OCTETS = "application/offset+octet-stream";
const work = mkdtempSync(join(tmpdir(), "haven-tus-"));
/** Shared by both Havens of the restart test, as one server's disk would be. */
const dataDir = mkdtempSync(join(tmpdir(), "haven-tus-data-"));

let t: TestDatabase;
let haven: TestHaven;
let creator: { token: string; accountId: string };
let stranger: { token: string; accountId: string };
let video: Buffer;

const start = (database: TestDatabase) =>
  startHaven(database.database, { env: { MAX_UPLOAD_BYTES: String(MAX), DATA_DIR: dataDir } });

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await start(t);
  creator = await haven.createUser("creator");
  stranger = await haven.createUser("stranger");
  const res = await fetch(`${haven.origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${creator.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "skills" }),
  });
  expect(res.status).toBe(201);
  video = readFileSync(await makeTestVideo(work, { seconds: 1 }));
});
afterAll(async () => {
  await haven.close();
  await t.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const METADATA = {
  channel: "skills",
  title: "Box breathing",
  tags: "dbt, calm",
  filename: "../x.mp4",
};
const encode = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(",");

function tus(
  path: string,
  init: { method: string; token?: string; headers?: Record<string, string>; body?: BodyInit },
): Promise<Response> {
  return fetch(`${haven.origin}${path}`, {
    method: init.method,
    headers: {
      "Tus-Resumable": "1.0.0",
      Authorization: `Bearer ${init.token ?? creator.token}`,
      ...init.headers,
    },
    body: init.body ?? null,
    ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Creates an upload and returns its path (`/api/v1/uploads/<id>`). */
async function create(length: number, fields = METADATA): Promise<string> {
  const res = await tus("/api/v1/uploads", {
    method: "POST",
    headers: { "Upload-Length": String(length), "Upload-Metadata": encode(fields) },
  });
  expect(res.status).toBe(201);
  const location = new URL(res.headers.get("location")!);
  expect(location.origin).toBe(haven.origin);
  expect(location.pathname).toMatch(/^\/api\/v1\/uploads\/[0-9a-f-]{36}$/);
  return location.pathname;
}

const patch = (path: string, offset: number, bytes: Uint8Array, token?: string) =>
  tus(path, {
    method: "PATCH",
    token,
    headers: { "Content-Type": OCTETS, "Upload-Offset": String(offset) },
    body: Uint8Array.from(bytes),
  });

const head = (path: string, token?: string) => tus(path, { method: "HEAD", token });

async function rowCount(): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    t.database.db,
    sql`SELECT count(*)::int AS n FROM resumable_uploads`,
  );
  return row!.n;
}

const stagedUploads = () => readdirSync(join(dataDir, "staging")).filter((f) => f.endsWith(".tus"));
/**
 * A finished upload's staged file belongs to its video's processing job,
 * which removes it after the video is published (or has failed), some time
 * after the last PATCH was answered. Tests that look at the whole staging
 * directory wait for every such job first: earlier tests finish uploads
 * without waiting for their videos.
 */
async function mediaJobsDone(): Promise<void> {
  await expect
    .poll(
      async () => {
        const [row] = await queryRows<{ n: number }>(
          t.database.db,
          sql`SELECT count(*)::int AS n FROM fedify_messages WHERE queue = ${MEDIA_QUEUE}`,
        );
        return row!.n;
      },
      { timeout: 50_000, interval: 50 },
    )
    .toBe(0);
}
const stagedPathOf = async (path: string) => {
  const id = path.split("/").at(-1)!;
  const [row] = await queryRows<{ staged_path: string }>(
    t.database.db,
    sql`SELECT staged_path FROM resumable_uploads WHERE id = ${id}`,
  );
  return row?.staged_path ?? null;
};

async function waitForPublished(id: string) {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${haven.origin}/api/v1/videos/${id}`, {
      headers: { Authorization: `Bearer ${creator.token}` },
    });
    const body = await res.json();
    if (body.state === "published" || body.state === "failed") return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`video ${id} never finished processing`);
}

describe("tus 1.0.0", () => {
  test("OPTIONS announces version, extensions and the size limit", async () => {
    const res = await fetch(`${haven.origin}/api/v1/uploads`, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("tus-resumable")).toBe("1.0.0");
    expect(res.headers.get("tus-version")).toBe("1.0.0");
    expect(res.headers.get("tus-extension")).toBe("creation,termination,expiration");
    expect(res.headers.get("tus-max-size")).toBe(String(MAX));
  });

  test("a request without Tus-Resumable (or with another version) → 412", async () => {
    for (const version of [null, "0.2.2"]) {
      const res = await fetch(`${haven.origin}/api/v1/uploads`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${creator.token}`,
          "Upload-Length": "100",
          ...(version ? { "Tus-Resumable": version } : {}),
        },
      });
      expect(res.status).toBe(412);
      expect(res.headers.get("tus-version")).toBe("1.0.0");
    }
    expect(await rowCount()).toBe(0);
  });

  test("creation: no token → 401; no or bad Upload-Length → 400; over the limit → 413", async () => {
    const noToken = await fetch(`${haven.origin}/api/v1/uploads`, {
      method: "POST",
      headers: { "Tus-Resumable": "1.0.0", "Upload-Length": "100" },
    });
    expect(noToken.status).toBe(401);
    const post = (headers: Record<string, string>) =>
      tus("/api/v1/uploads", {
        method: "POST",
        headers: { "Upload-Metadata": encode(METADATA), ...headers },
      });
    expect((await post({})).status).toBe(400);
    expect((await post({ "Upload-Length": "-5" })).status).toBe(400);
    expect((await post({ "Upload-Length": "1e6" })).status).toBe(400);
    expect((await post({ "Upload-Length": String(MAX + 1) })).status).toBe(413);
    expect((await post({ "Upload-Length": "100", "Upload-Metadata": "title ***" })).status).toBe(
      400,
    );
    expect(await rowCount()).toBe(0);
    expect(stagedUploads()).toEqual([]);
  });

  test("creation checks the channel and metadata before any byte is sent", async () => {
    const post = (fields: Record<string, string>, token = creator.token) =>
      tus("/api/v1/uploads", {
        method: "POST",
        token,
        headers: { "Upload-Length": "1000", "Upload-Metadata": encode(fields) },
      });
    expect((await post({ title: "No channel" })).status).toBe(400);
    expect((await post({ channel: "nowhere", title: "x" })).status).toBe(404);
    expect((await post({ channel: "skills" })).status).toBe(400); // no title
    expect((await post(METADATA, stranger.token)).status).toBe(403);
    expect(await rowCount()).toBe(0);
  });

  test("a real video in three PATCH chunks is processed and published", async () => {
    const path = await create(video.length);
    const cuts = [
      0,
      Math.floor(video.length / 3),
      Math.floor((2 * video.length) / 3),
      video.length,
    ];
    let final: Response | null = null;
    for (let i = 0; i < 3; i++) {
      const res = await patch(path, cuts[i]!, video.subarray(cuts[i], cuts[i + 1]));
      expect(res.status).toBe(204);
      expect(res.headers.get("upload-offset")).toBe(String(cuts[i + 1]));
      expect(res.headers.get("tus-resumable")).toBe("1.0.0");
      if (i < 2) {
        expect(res.headers.get("haven-video-id")).toBeNull();
        expect(Date.parse(res.headers.get("upload-expires")!)).toBeGreaterThan(Date.now());
      }
      final = res;
    }
    const videoId = final!.headers.get("haven-video-id");
    expect(videoId).toMatch(/^[0-9a-f-]{36}$/);

    const status = await tus(path, { method: "GET" });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      offset: video.length,
      length: video.length,
      complete: true,
      video_id: videoId,
    });
    const headed = await head(path);
    expect(headed.headers.get("haven-video-id")).toBe(videoId);
    expect(headed.headers.get("upload-offset")).toBe(String(video.length));

    const published = await waitForPublished(videoId!);
    expect(published).toMatchObject({
      state: "published",
      title: "Box breathing",
      tags: ["dbt", "calm"],
      duration: 1,
    });
    // The processing job consumed the staged file (just after publishing the video).
    await mediaJobsDone();
    expect(stagedUploads()).toEqual([]);
    // The finished upload takes no more bytes.
    expect((await patch(path, video.length, new Uint8Array(1))).status).toBe(409);
  });

  test("HEAD after a partial PATCH reports the offset, and the upload resumes from it", async () => {
    const path = await create(video.length);
    expect((await patch(path, 0, video.subarray(0, 5000))).status).toBe(204);
    const res = await head(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("upload-offset")).toBe("5000");
    expect(res.headers.get("upload-length")).toBe(String(video.length));
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(Date.parse(res.headers.get("upload-expires")!)).toBeGreaterThan(Date.now());
    const metadata = res.headers.get("upload-metadata")!;
    expect(metadata.split(",")).toContain(`title ${b64("Box breathing")}`);
    expect((await patch(path, 5000, video.subarray(5000))).status).toBe(204);
  });

  test("an unfinished upload survives a restart", async () => {
    const path = await create(video.length);
    expect((await patch(path, 0, video.subarray(0, 7000))).status).toBe(204);

    await haven.close();
    haven = await start(t);
    for (const user of [creator, stranger]) {
      const account = await findAccountById(t.database.db, user.accountId);
      user.token = (
        await issueToken(t.database.db, haven.deps.tokens, account!, { name: "t", ttlSeconds: 600 })
      ).accessToken;
    }

    const res = await head(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("upload-offset")).toBe("7000");
    const last = await patch(path, 7000, video.subarray(7000));
    expect(last.status).toBe(204);
    const published = await waitForPublished(last.headers.get("haven-video-id")!);
    expect(published.state).toBe("published");
  });

  test("a chunk cut short keeps what arrived", async () => {
    const path = await create(video.length);
    const port = Number(new URL(haven.origin).port);
    const socket = connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write(
      `PATCH ${path} HTTP/1.1\r\nHost: ${haven.host}\r\nTus-Resumable: 1.0.0\r\n` +
        `Authorization: Bearer ${creator.token}\r\nContent-Type: ${OCTETS}\r\n` +
        `Upload-Offset: 0\r\nContent-Length: 20000\r\n\r\n`,
    );
    socket.write(video.subarray(0, 6000));
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    let offset: string | null = null;
    for (let i = 0; i < 50 && offset !== "6000"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      offset = (await head(path)).headers.get("upload-offset");
    }
    expect(offset).toBe("6000");
    expect((await patch(path, 6000, video.subarray(6000))).status).toBe(204);
  });

  test("Upload-Offset other than the current offset → 409, nothing written", async () => {
    const path = await create(video.length);
    expect((await patch(path, 0, video.subarray(0, 5000))).status).toBe(204);
    for (const offset of [0, 4000, 6000]) {
      const res = await patch(path, offset, video.subarray(offset, offset + 100));
      expect(res.status).toBe(409);
      expect(res.headers.get("upload-offset")).toBe("5000");
    }
    const bad = await tus(path, {
      method: "PATCH",
      headers: { "Content-Type": OCTETS, "Upload-Offset": "abc" },
      body: new Uint8Array(10),
    });
    expect(bad.status).toBe(400);
    const wrongType = await tus(path, {
      method: "PATCH",
      headers: { "Content-Type": "video/mp4", "Upload-Offset": "5000" },
      body: Uint8Array.from(video.subarray(5000, 5100)),
    });
    expect(wrongType.status).toBe(415);
    expect(statSync((await stagedPathOf(path))!).size).toBe(5000);
    expect((await head(path)).headers.get("upload-offset")).toBe("5000");
  });

  test("more bytes than declared → 409; nothing past the declared length is stored", async () => {
    const length = 10_000;
    const path = await create(length);
    expect((await patch(path, 0, video.subarray(0, 6000))).status).toBe(204);
    // Announced by Content-Length: refused before reading.
    expect((await patch(path, 6000, video.subarray(6000, 10_001))).status).toBe(409);
    // Streamed without a length: found out while reading; the chunk is rolled back.
    const streamed = await tus(path, {
      method: "PATCH",
      headers: { "Content-Type": OCTETS, "Upload-Offset": "6000" },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(video.subarray(6000, 9000));
          controller.enqueue(video.subarray(9000, 10_500));
          controller.close();
        },
      }),
    });
    expect(streamed.status).toBe(409);
    expect(statSync((await stagedPathOf(path))!).size).toBe(6000);
    expect((await head(path)).headers.get("upload-offset")).toBe("6000");
  });

  test("another user's upload → 403; an unknown one → 404", async () => {
    const path = await create(video.length);
    expect((await patch(path, 0, video.subarray(0, 5000))).status).toBe(204);
    expect((await head(path, stranger.token)).status).toBe(403);
    expect((await patch(path, 5000, video.subarray(5000, 6000), stranger.token)).status).toBe(403);
    expect((await tus(path, { method: "DELETE", token: stranger.token })).status).toBe(403);
    expect((await head(path)).headers.get("upload-offset")).toBe("5000");
    expect((await head("/api/v1/uploads/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await head("/api/v1/uploads/not-a-uuid")).status).toBe(404);
  });

  test("a first chunk that is no video → 415, and the upload is gone", async () => {
    const before = await rowCount();
    const html = Buffer.from(`<!doctype html><script>alert(1)</script>${" ".repeat(5000)}`);
    const path = await create(html.length);
    const staged = (await stagedPathOf(path))!;
    const res = await patch(path, 0, html);
    expect(res.status).toBe(415);
    // Removed before the answer, not some time after it.
    expect(existsSync(staged)).toBe(false);
    expect((await head(path)).status).toBe(404);
    expect(await rowCount()).toBe(before);

    // Sniffed across chunks too: 100 harmless bytes first, the verdict when the head is complete.
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(8000)]);
    const split = await create(elf.length);
    const splitStaged = (await stagedPathOf(split))!;
    expect((await patch(split, 0, elf.subarray(0, 100))).status).toBe(204);
    expect((await patch(split, 100, elf.subarray(100))).status).toBe(415);
    expect(existsSync(splitStaged)).toBe(false);
    expect(await rowCount()).toBe(before);
    // Nothing else is left behind either: once the videos of earlier tests'
    // finished uploads are processed, only unfinished uploads have a file.
    await mediaJobsDone();
    const open = await queryRows<{ staged_path: string }>(
      t.database.db,
      sql`SELECT staged_path FROM resumable_uploads WHERE upload_offset < upload_length`,
    );
    expect(stagedUploads().sort()).toEqual(
      open.map((r) => r.staged_path.split("/").at(-1)!).sort(),
    );
  });

  test("a complete file that does not decode → 422, upload and file removed", async () => {
    const cut = video.subarray(0, Math.floor(video.length * 0.6));
    const path = await create(cut.length);
    const staged = (await stagedPathOf(path))!;
    const res = await patch(path, 0, cut);
    expect(res.status).toBe(422);
    expect((await res.json()).error).toBeTruthy();
    expect((await head(path)).status).toBe(404);
    expect(existsSync(staged)).toBe(false);
  });

  test("termination: DELETE → 204, then HEAD → 404 and the file is gone", async () => {
    const path = await create(video.length);
    expect((await patch(path, 0, video.subarray(0, 5000))).status).toBe(204);
    const staged = (await stagedPathOf(path))!;
    expect(existsSync(staged)).toBe(true);
    expect((await tus(path, { method: "DELETE" })).status).toBe(204);
    expect((await head(path)).status).toBe(404);
    expect(existsSync(staged)).toBe(false);
    expect((await tus(path, { method: "DELETE" })).status).toBe(404);
  });

  test("cleanExpiredUploads removes abandoned uploads, rows and files", async () => {
    const path = await create(video.length);
    expect((await patch(path, 0, video.subarray(0, 5000))).status).toBe(204);
    const staged = (await stagedPathOf(path))!;
    const db = t.database.db;
    expect(await cleanExpiredUploads(db, new Date())).toBe(0);
    expect(existsSync(staged)).toBe(true);

    const dayLater = new Date(Date.now() + 25 * 3600 * 1000);
    expect(await cleanExpiredUploads(db, dayLater)).toBeGreaterThanOrEqual(1);
    expect(existsSync(staged)).toBe(false);
    expect((await head(path)).status).toBe(404);
    expect(await rowCount()).toBe(0);
    await mediaJobsDone();
    expect(stagedUploads()).toEqual([]);
  });
});
