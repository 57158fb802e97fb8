import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { makeTestVideo, truncatedCopy } from "../support/media-fixtures.ts";

let t: TestDatabase;
let haven: TestHaven;
let creator: { token: string };
let stranger: { token: string };
const work = mkdtempSync(join(tmpdir(), "haven-upload-"));
const MAX = 2 * 1024 * 1024;

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { env: { MAX_UPLOAD_BYTES: String(MAX) } });
  creator = await haven.createUser("creator");
  stranger = await haven.createUser("stranger");
  const res = await fetch(`${haven.origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${creator.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "skills" }),
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await haven.close();
  await t.close();
  rmSync(work, { recursive: true, force: true });
});

function form(
  file: Blob | null,
  fields: Record<string, string>,
  extra: [string, Blob, string][] = [],
) {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  if (file) body.set("file", file, "clip.mp4");
  for (const [name, blob, filename] of extra) body.set(name, blob, filename);
  return body;
}

const upload = (body: FormData, token = creator.token) =>
  fetch(`${haven.origin}/api/v1/videos`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body,
  });

async function videoCount(): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    t.database.db,
    sql`SELECT count(*)::int AS n FROM support_videos`,
  );
  return row!.n;
}

const staged = () => readdirSync(haven.deps.stagingDir);

async function waitForState(id: string, states: string[]) {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${haven.origin}/api/v1/videos/${id}`, {
      headers: { Authorization: `Bearer ${creator.token}` },
    });
    const body = await res.json();
    if (states.includes(body.state)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`video ${id} never reached ${states.join("/")}`);
}

describe("upload → processing → playable", () => {
  test("a WebM with English captions becomes a published H.264 MP4 with poster", async () => {
    const webm = await makeTestVideo(work, { codec: "vp9", seconds: 2 });
    const vtt = new Blob(["WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"], { type: "text/vtt" });
    const res = await upload(
      form(
        new Blob([readFileSync(webm)]),
        {
          channel: "skills",
          title: "Opposite action",
          description: "A **skill** from DBT.",
          tags: "bpd, dbt",
          language: "en",
          content_warning: "mentions self-harm",
          comments_policy: "approval",
        },
        [["captions[en]", vtt, "en.vtt"]],
      ),
    );
    expect(res.status).toBe(202);
    const accepted = await res.json();
    expect(accepted.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(accepted.url).toBe(`${haven.origin}/videos/${accepted.id}`);
    expect(accepted.state).toBe("processing");

    const video = await waitForState(accepted.id, ["published", "failed"]);
    expect(video).toMatchObject({
      state: "published",
      title: "Opposite action",
      tags: ["bpd", "dbt"],
      language: "en",
      content_warning: "mentions self-harm",
      sensitive: true,
      comments_policy: "approval",
      duration: 2,
    });
    expect(video.width).toBeGreaterThan(0);
    expect(video.captions).toEqual([
      { language: "en", url: expect.stringContaining("/captions/en.vtt") },
    ]);

    const mp4 = await fetch(video.files.video);
    expect(mp4.status).toBe(200);
    expect(mp4.headers.get("content-type")).toBe("video/mp4");
    const bytes = new Uint8Array(await mp4.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(4, 8))).toBe("ftyp");
    // Range: exactly the requested bytes.
    const part = await fetch(video.files.video, { headers: { Range: "bytes=10-109" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 10-109/${bytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.subarray(10, 110));
    const head = await fetch(video.files.video, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe(String(bytes.length));
    expect(head.headers.get("etag")).toBe(mp4.headers.get("etag"));

    const poster = await fetch(video.files.poster);
    expect(poster.headers.get("content-type")).toBe("image/jpeg");
    const caption = await fetch(video.captions[0].url);
    expect(caption.headers.get("content-type")).toContain("text/vtt");
    expect(staged()).toEqual([]);

    const list = await (await fetch(`${haven.origin}/api/v1/channels/skills/videos`)).json();
    expect(list.map((v: { id: string }) => v.id)).toContain(accepted.id);
  });

  test("edit then delete: the URL stops answering and the media is gone", async () => {
    const mp4 = await makeTestVideo(work, { codec: "h264", seconds: 1 });
    const res = await upload(
      form(new Blob([readFileSync(mp4)]), { channel: "skills", title: "Short" }),
    );
    const { id } = await res.json();
    const video = await waitForState(id, ["published"]);
    const patched = await fetch(`${haven.origin}/api/v1/videos/${id}`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${creator.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ title: "Longer title", comments_policy: "closed" }),
    });
    expect(await patched.json()).toMatchObject({
      title: "Longer title",
      comments_policy: "closed",
    });
    const denied = await fetch(`${haven.origin}/api/v1/videos/${id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${stranger.token}` },
    });
    expect(denied.status).toBe(403);
    const deleted = await fetch(`${haven.origin}/api/v1/videos/${id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${creator.token}` },
    });
    expect(deleted.status).toBe(204);
    expect((await fetch(`${haven.origin}/api/v1/videos/${id}`)).status).toBe(404);
    expect((await fetch(video.files.video)).status).toBe(404);
  });
});

describe("bad uploads store nothing", () => {
  test.each([
    [
      "HTML renamed clip.mp4",
      () => new Blob(["<!doctype html><html><script>alert(1)</script></html>"]),
      415,
    ],
    [
      "PNG renamed clip.mp4",
      () => new Blob([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex")]),
      415,
    ],
    [
      "ELF renamed clip.mp4",
      () => new Blob([Buffer.from("7f454c46020101000000000000000000", "hex")]),
      415,
    ],
    ["empty file", () => new Blob([]), 400],
  ])("%s → %i", async (_name, make, status) => {
    const before = await videoCount();
    const res = await upload(form(make(), { channel: "skills", title: "Test clip" }));
    expect(res.status).toBe(status);
    expect(typeof (await res.json()).error).toBe("string");
    expect(await videoCount()).toBe(before);
    expect(staged()).toEqual([]);
  });

  test("truncated MP4 → 422 with a reason", async () => {
    const mp4 = await makeTestVideo(work, { codec: "h264", seconds: 2, faststart: true });
    const cut = await truncatedCopy(mp4, join(work, "cut.mp4"), 0.6);
    const before = await videoCount();
    const res = await upload(
      form(new Blob([readFileSync(cut)]), { channel: "skills", title: "Test clip" }),
    );
    expect([400, 422]).toContain(res.status);
    expect((await res.json()).error).toMatch(/cut short|damaged|could not be read/i);
    expect(await videoCount()).toBe(before);
    expect(staged()).toEqual([]);
  });

  test("one byte over MAX_UPLOAD_BYTES → 413", async () => {
    const mp4 = await makeTestVideo(work, { codec: "h264", seconds: 1 });
    const big = Buffer.concat([
      readFileSync(mp4),
      Buffer.alloc(MAX + 1 - readFileSync(mp4).length),
    ]);
    const file = join(work, "big.mp4");
    writeFileSync(file, big);
    const before = await videoCount();
    const res = await upload(
      form(new Blob([readFileSync(file)]), { channel: "skills", title: "Test clip" }),
    );
    expect(res.status).toBe(413);
    expect(await videoCount()).toBe(before);
    expect(staged()).toEqual([]);
  });

  test("a channel you do not manage → 403; missing title → 400", async () => {
    const mp4 = await makeTestVideo(work, { codec: "h264", seconds: 1 });
    const before = await videoCount();
    const res = await upload(
      form(new Blob([readFileSync(mp4)]), { channel: "skills", title: "Test clip" }),
      stranger.token,
    );
    expect(res.status).toBe(403);
    const noTitle = await upload(form(new Blob([readFileSync(mp4)]), { channel: "skills" }));
    expect(noTitle.status).toBe(400);
    expect((await noTitle.json()).error).toBe("title is required");
    expect(await videoCount()).toBe(before);
    expect(staged()).toEqual([]);
  });

  test("no token → 401", async () => {
    const res = await fetch(`${haven.origin}/api/v1/videos`, {
      method: "POST",
      body: form(null, {}),
    });
    expect(res.status).toBe(401);
  });
});

test("unknown media → 404; traversal → 404", async () => {
  expect((await fetch(`${haven.origin}/media/videos/nope/video.mp4`)).status).toBe(404);
  expect((await fetch(`${haven.origin}/media/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
});
