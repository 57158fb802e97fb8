/**
 * Video files as other servers see them: a unique name per file (PeerTube
 * stores remote files by name, under a unique index), PeerTube's download
 * URL, old `video.mp4` URLs still answering, and — for a file over what
 * Mastodon downloads — a compact rendition that posts attach. Real uploads,
 * real ffmpeg, a real processing worker; the media limit is made small so a
 * clip of a few seconds is "too large".
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { findPersonOfAccount } from "../../src/actors/actor.service.ts";
import { createChannel } from "../../src/channels/channel.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { makeTestVideo } from "../support/media-fixtures.ts";
import { peertubeVideoProblems } from "../support/peertube-video-check.ts";
import {
  asArray,
  followChannel,
  publishVideo,
  type TestChannel,
} from "../support/video-fixtures.ts";

const AP = "application/activity+json";
/** Small enough that a 6 s 640×360 test clip is over it. */
const LIMIT = 100_000;

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let peertube: FakeRemote;
let alice: FakeActor;
let bob: FakeActor;
let channel: TestChannel;
let token: string;
const work = mkdtempSync(join(tmpdir(), "haven-files-"));

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, peertube] = await Promise.all([
    startHaven(t.database, { overrides: { remoteMediaLimitBytes: LIMIT } }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
  ]);
  [alice, bob] = await Promise.all([mastodon.addActor("alice"), peertube.addActor("bob")]);
  const user = await haven.createUser("ana");
  token = user.token;
  const db = haven.deps.database.db;
  const created = await createChannel(db, { name: "calm", ownerAccountId: user.accountId });
  if (!created.ok) throw new Error(created.error.message);
  const owner = await findPersonOfAccount(db, user.accountId);
  channel = {
    channel: created.value,
    ownerHandle: owner!.handle,
    groupId: `${haven.origin}/users/calm`,
    ownerId: `${haven.origin}/users/${owner!.handle}`,
    inbox: `${haven.origin}/users/calm/inbox`,
  };
  await followChannel(mastodon, alice, channel);
  await followChannel(peertube, bob, channel);
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), peertube?.close()]);
  await t?.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  expect.hasAssertions();
});

/** Uploads a clip and returns its Note as Mastodon received it, once processed. */
async function uploadAndReceive(clip: string, title: string) {
  const form = new FormData();
  form.set("channel", "calm");
  form.set("title", title);
  form.set("file", new Blob([readFileSync(clip)]), "clip.mp4");
  const res = await fetch(`${haven.origin}/api/v1/videos`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const create = await mastodon.waitForDelivery(
    (d) =>
      d.body?.type === "Create" &&
      (d.body.object as JsonObject)?.id === `${haven.origin}/notes/${id}`,
    { timeoutMs: 60_000 },
  );
  return { id, note: create.body?.object as JsonObject };
}

async function videoJson(id: string): Promise<JsonObject> {
  const res = await peertube.get(`${haven.origin}/videos/${id}`, { accept: AP });
  expect(res.status).toBe(200);
  return JSON.parse(res.body) as JsonObject;
}

const mp4Links = (video: JsonObject) =>
  asArray(video.url).filter((u) => u.mediaType === "video/mp4");
const bytes = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
};

describe("a video over the remote media limit", () => {
  let id: string;
  let note: JsonObject;
  beforeAll(async () => {
    const clip = await makeTestVideo(work, {
      width: 640,
      height: 360,
      seconds: 6,
      faststart: true,
    });
    expect(readFileSync(clip).length).toBeGreaterThan(LIMIT);
    ({ id, note } = await uploadAndReceive(clip, "Box breathing"));
  });

  test("the Note attaches a smaller rendition, under the limit, with its own unique name", async () => {
    const [media, ...more] = asArray(note.attachment);
    expect(more).toEqual([]);
    const url = String(media?.url);
    const match = new RegExp(`^${haven.origin}/media/videos/${id}/${id}-(\\d+)\\.mp4$`).exec(url);
    expect(match, url).not.toBeNull();
    const height = Number(match![1]);
    expect(height).toBeLessThan(360);
    expect(media).toMatchObject({ mediaType: "video/mp4", height });
    const { res, body } = await bytes(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    expect(body.length).toBeLessThanOrEqual(LIMIT);
    expect(body.subarray(4, 8).toString("latin1")).toBe("ftyp");
  });

  test("the PeerTube Video lists both files, each with its own height and size", async () => {
    const video = await videoJson(id);
    expect(peertubeVideoProblems(video)).toEqual([]);
    const [main, compact, ...more] = mp4Links(video);
    expect(more).toEqual([]);
    expect(main).toMatchObject({ height: 360, width: 640 });
    expect(main?.href).toBe(`${haven.origin}/media/videos/${id}/${id}-360.mp4`);
    expect(compact?.href).toBe(asArray(note.attachment)[0]?.url);
    expect(Number(compact?.height)).toBeLessThan(360);
    for (const link of [main, compact]) {
      const head = await fetch(String(link?.href), { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(Number(head.headers.get("content-length"))).toBe(link?.size);
    }
    expect(Number(main?.size)).toBeGreaterThan(LIMIT);
    // What a Mastodon reading the Video itself would attach: the small one.
    expect(asArray(video.attachment)[0]?.url).toBe(compact?.href);
  });

  test("PeerTube's download URL serves each file, as a download, with Range", async () => {
    for (const link of mp4Links(await videoJson(id))) {
      const name = `${id}-${link.height}.mp4`;
      const download = `${haven.origin}/download/web-videos/${name}`;
      const whole = await bytes(download);
      expect(whole.res.status).toBe(200);
      expect(whole.res.headers.get("content-disposition")).toBe(`attachment; filename="${name}"`);
      expect(whole.body).toEqual((await bytes(String(link.href))).body);
      const part = await bytes(download, { Range: "bytes=10-109" });
      expect(part.res.status).toBe(206);
      expect(part.res.headers.get("content-range")).toBe(`bytes 10-109/${whole.body.length}`);
      expect(part.body).toEqual(whole.body.subarray(10, 110));
    }
    for (const name of [
      `${id}-1080.mp4`,
      `${randomUUID()}-360.mp4`,
      "video.mp4",
      `${id}-360.webm`,
    ]) {
      const res = await fetch(`${haven.origin}/download/web-videos/${name}`);
      expect(res.status, name).toBe(404);
    }
  });
});

test("a video under the limit: one file, and the Note attaches it", async () => {
  const clip = await makeTestVideo(work, { width: 320, height: 240, seconds: 2, faststart: true });
  expect(readFileSync(clip).length).toBeLessThan(LIMIT);
  const { id, note } = await uploadAndReceive(clip, "Grounding");
  const links = mp4Links(await videoJson(id));
  expect(links.map((l) => l.href)).toEqual([`${haven.origin}/media/videos/${id}/${id}-240.mp4`]);
  expect(asArray(note.attachment)[0]?.url).toBe(links[0]?.href);
  expect((await fetch(String(links[0]?.href))).status).toBe(200);
});

describe("videos processed before files had unique names (stored as video.mp4)", () => {
  const contents = [Buffer.alloc(4096, 1), Buffer.alloc(5000, 2)];
  let ids: string[];
  beforeAll(async () => {
    ids = [];
    for (const content of contents) {
      const id = randomUUID();
      const staged = join(work, `${id}.mp4`);
      writeFileSync(staged, content);
      await haven.deps.storage.put(`videos/${id}/video.mp4`, staged);
      await publishVideo(haven, channel, { id, mediaKey: `videos/${id}/video.mp4` });
      ids.push(id);
    }
  });

  test("are published under unique names, which serve the stored file (Range too)", async () => {
    const names = new Set<string>();
    for (const [i, id] of ids.entries()) {
      const video = await videoJson(id);
      expect(peertubeVideoProblems(video)).toEqual([]);
      const [link] = mp4Links(video);
      expect(link?.href).toBe(`${haven.origin}/media/videos/${id}/${id}-720.mp4`);
      names.add(String(link?.href).split("/").pop() ?? "");
      const note = JSON.parse(
        (await mastodon.get(`${haven.origin}/notes/${id}`, { accept: AP })).body,
      );
      expect(asArray((note as JsonObject).attachment)[0]?.url).toBe(link?.href);
      const whole = await bytes(String(link?.href));
      expect(whole.res.status).toBe(200);
      expect(whole.body).toEqual(contents[i]);
      const part = await bytes(String(link?.href), { Range: "bytes=100-199" });
      expect(part.res.status).toBe(206);
      expect(part.body).toEqual(contents[i]!.subarray(100, 200));
      const download = await bytes(`${haven.origin}/download/web-videos/${id}-720.mp4`);
      expect(download.body).toEqual(contents[i]);
    }
    expect(names.size).toBe(ids.length);
  });

  test("the old URL keeps working; other heights and deleted videos are 404", async () => {
    const [id] = ids;
    const old = await bytes(`${haven.origin}/media/videos/${id}/video.mp4`);
    expect(old.res.status).toBe(200);
    expect(old.body).toEqual(contents[0]);
    expect((await fetch(`${haven.origin}/media/videos/${id}/${id}-480.mp4`)).status).toBe(404);
    // Another video's id in the name: no alias across videos.
    expect((await fetch(`${haven.origin}/media/videos/${id}/${ids[1]}-720.mp4`)).status).toBe(404);
    const res = await fetch(`${haven.origin}/api/v1/videos/${id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(204);
    for (const url of [
      `${haven.origin}/media/videos/${id}/video.mp4`,
      `${haven.origin}/media/videos/${id}/${id}-720.mp4`,
    ]) {
      expect((await fetch(url)).status, url).toBe(404);
    }
  });
});
