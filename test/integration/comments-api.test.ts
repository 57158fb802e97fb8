/**
 * The comments API over HTTP on a real database: who sees which replies, who moderates them,
 * and the storage rules under them (one row per Note id, sanitised on the way in).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  findCommentById,
  insertRemoteComment,
  type VideoComment,
} from "../../src/comments/comment.service.ts";
import type { CommentState } from "../../src/comments/comment-policy.ts";
import { type RemoteActor, upsertRemoteActor } from "../../src/remote/remote-actor.service.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";

let t: TestDatabase;
let haven: TestHaven;
let channel: TestChannel;
let video: SupportVideo;
let author: RemoteActor;
let ownerToken: string;
let strangerToken: string;
let adminToken: string;
let counter = 0;

const db = () => t.database.db;

function request(path: string, options: { token?: string; method?: string } = {}) {
  return fetch(`${haven.origin}${path}`, {
    method: options.method ?? "GET",
    headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
  });
}

async function comment(
  state: CommentState,
  html = "<p>hello</p>",
  on: SupportVideo = video,
): Promise<VideoComment> {
  const row = await insertRemoteComment(db(), {
    iri: `https://social.example/users/ana/statuses/${++counter}`,
    videoId: on.id,
    authorId: author.id,
    parentId: null,
    inReplyToIri: `${haven.origin}/notes/${on.id}`,
    html,
    summary: null,
    sensitive: false,
    language: "en",
    url: null,
    publishedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, counter)),
    state,
  });
  return row!;
}

const ids = async (res: Response) => {
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }[]).map((c) => c.id);
};

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  channel = await createTestChannel(haven, "host", "calm");
  const login = await fetch(`${haven.origin}/api/v1/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "host", password: "correct horse battery" }),
  });
  ownerToken = ((await login.json()) as { access_token: string }).access_token;
  strangerToken = (await haven.createUser("stranger")).token;
  adminToken = (await haven.createUser("boss", { admin: true })).token;
  video = await publishVideo(haven, channel, { commentsPolicy: "approval" }, { event: false });
  author = await upsertRemoteActor(db(), {
    iri: "https://social.example/users/ana",
    type: "Person",
    handle: "ana@social.example",
    inboxUrl: "https://social.example/users/ana/inbox",
    sharedInboxUrl: null,
    displayName: "Ana \u202Eevil",
    url: "javascript:alert(1)",
    raw: null,
  });
});
afterAll(async () => {
  await haven?.close();
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("listing", () => {
  test("the public sees visible comments only; managers ask for held, rejected or all", async () => {
    const visible = await comment("visible");
    const held = await comment("held");
    const rejected = await comment("rejected");
    const path = `/api/v1/videos/${video.id}/comments`;
    expect(await ids(await request(path))).toEqual([visible.id]);
    expect(await ids(await request(path, { token: strangerToken }))).toEqual([visible.id]);
    expect(await ids(await request(`${path}?state=held`, { token: ownerToken }))).toEqual([
      held.id,
    ]);
    expect(await ids(await request(`${path}?state=rejected`, { token: adminToken }))).toEqual([
      rejected.id,
    ]);
    expect(await ids(await request(`${path}?state=all`, { token: ownerToken }))).toEqual([
      visible.id,
      held.id,
      rejected.id,
    ]);
    expect((await request(`${path}?state=held`)).status).toBe(401);
    expect((await request(`${path}?state=held`, { token: strangerToken })).status).toBe(403);
    expect((await request(`${path}?state=bogus`)).status).toBe(400);
    expect((await request(`/api/v1/videos/not-a-uuid/comments`)).status).toBe(404);
  });

  test("the JSON carries sanitised content, the real handle and a cleaned display name", async () => {
    const row = await comment("visible", '<p onclick="x()">hi <script>alert(1)</script></p>');
    const list = (await (await request(`/api/v1/videos/${video.id}/comments`)).json()) as {
      id: string;
    }[];
    expect(list.find((c) => c.id === row.id)).toMatchObject({
      content: "<p>hi </p>",
      state: "visible",
      language: "en",
      spoiler_text: "",
      account: { acct: "ana@social.example", display_name: "Ana evil", uri: author.iri },
    });
  });

  test("a video that is not published has no public comments; its managers still see them", async () => {
    const draft = await publishVideo(haven, channel, { state: "processing" }, { event: false });
    const held = await comment("held", "<p>early</p>", draft);
    const path = `/api/v1/videos/${draft.id}/comments`;
    expect((await request(path)).status).toBe(401);
    expect((await request(path, { token: strangerToken })).status).toBe(404);
    expect(await ids(await request(`${path}?state=held`, { token: ownerToken }))).toEqual([
      held.id,
    ]);
  });

  test("limit and offset page through oldest first", async () => {
    const other = await publishVideo(haven, channel, {}, { event: false });
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await comment("visible", "<p>x</p>", other)).id);
    const path = `/api/v1/videos/${other.id}/comments`;
    expect(await ids(await request(`${path}?limit=2`))).toEqual(made.slice(0, 2));
    expect(await ids(await request(`${path}?limit=2&offset=4`))).toEqual(made.slice(4));
  });
});

describe("moderating", () => {
  test("approve shows a held comment; reject hides it; delete removes it", async () => {
    const held = await comment("held");
    const approve = await request(`/api/v1/comments/${held.id}/approve`, {
      token: ownerToken,
      method: "POST",
    });
    expect(approve.status).toBe(200);
    expect(await approve.json()).toMatchObject({ id: held.id, state: "visible" });
    expect(await ids(await request(`/api/v1/videos/${video.id}/comments`))).toContain(held.id);
    const stored = (await findCommentById(db(), held.id))!.comment;
    expect(stored.moderatedAt).toBeInstanceOf(Date);

    const reject = await request(`/api/v1/comments/${held.id}/reject`, {
      token: adminToken,
      method: "POST",
    });
    expect(await reject.json()).toMatchObject({ state: "rejected" });
    expect(await ids(await request(`/api/v1/videos/${video.id}/comments`))).not.toContain(held.id);
    // Kept, so a re-delivery of the same Note does not come back as new.
    const redelivered = await insertRemoteComment(db(), {
      ...held,
      html: held.content,
      state: "visible",
    });
    expect(redelivered).toBeNull();
    expect((await findCommentById(db(), held.id))?.comment.state).toBe("rejected");

    const del = await request(`/api/v1/comments/${held.id}`, {
      token: ownerToken,
      method: "DELETE",
    });
    expect(del.status).toBe(204);
    expect(await findCommentById(db(), held.id)).toBeNull();
  });

  test("a stranger cannot; without a token 401; unknown comment 404", async () => {
    const held = await comment("held");
    for (const [path, method] of [
      [`/api/v1/comments/${held.id}/approve`, "POST"],
      [`/api/v1/comments/${held.id}/reject`, "POST"],
      [`/api/v1/comments/${held.id}`, "DELETE"],
    ] as const) {
      expect((await request(path, { token: strangerToken, method })).status).toBe(403);
      expect((await request(path, { method })).status).toBe(401);
    }
    expect((await findCommentById(db(), held.id))?.comment.state).toBe("held");
    const missing = "00000000-0000-4000-8000-000000000000";
    expect(
      (await request(`/api/v1/comments/${missing}/approve`, { token: ownerToken, method: "POST" }))
        .status,
    ).toBe(404);
  });
});

describe("storage", () => {
  test("the same Note stored 20 times concurrently is one row", async () => {
    const input = {
      iri: "https://social.example/users/ana/statuses/dup",
      videoId: video.id,
      authorId: author.id,
      parentId: null,
      inReplyToIri: `${haven.origin}/notes/${video.id}`,
      html: "<p>dup</p>",
      summary: null,
      sensitive: false,
      language: null,
      url: null,
      publishedAt: null,
      state: "held" as const,
    };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => insertRemoteComment(db(), input)),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  test("the profile link on the watch page is never a javascript: URL", async () => {
    await comment("visible", "<p>link check</p>");
    const page = await (
      await fetch(`${haven.origin}/videos/${video.id}`, { headers: { Accept: "text/html" } })
    ).text();
    expect(page).toContain("link check");
    expect(page).not.toContain("javascript:");
    expect(page).toContain('href="https://social.example/users/ana"');
    expect(page).toContain("<bdi>Ana evil</bdi>");
  });
});
