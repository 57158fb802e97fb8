/**
 * Reports (`Flag`) from other servers (INTEROP §3.5, SECURITY #32): stored once, seen only by
 * moderators through the admin API, dropped from domains whose reports we reject, never
 * federated anywhere.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { remoteReports } from "../../src/db/schema/index.ts";
import { blockDomain } from "../../src/moderation/domain-blocks.service.ts";
import { purgeSuspendedDomain } from "../../src/moderation/purge.ts";
import { SYSTEM_ACTOR } from "../../src/moderation/types.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  flag,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";
import { EVERY_QUEUE, inboxDrained } from "./inbox-drained.ts";
import { mastodonReply, TestModerationGate, waitForComment } from "./interaction-rig.ts";

let t: TestDatabase;
let haven: TestHaven;
const gate = new TestModerationGate();
let mastodon: FakeRemote;
let peertube: FakeRemote;
let noisy: FakeRemote;
let alice: FakeActor;
let channel: TestChannel;
let video: SupportVideo;
let adminToken: string;
let ownerToken: string;

const db = () => t.database.db;
const sharedInbox = () => `${haven.origin}/inbox`;
const noteOf = (v: SupportVideo) => `${haven.origin}/notes/${v.id}`;
const videoOf = (v: SupportVideo) => `${haven.origin}/videos/${v.id}`;

const adminApi = (path: string, token: string | null, method = "GET") =>
  fetch(`${haven.origin}/api/v1/admin/reports${path}`, {
    method,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
async function reports(query = ""): Promise<JsonObject[]> {
  const res = await adminApi(query, adminToken);
  expect(res.status).toBe(200);
  return (await res.json()) as JsonObject[];
}
const storedFlags = (iri: string) =>
  db().select().from(remoteReports).where(eq(remoteReports.iri, iri));

async function sendFlag(remote: FakeRemote, activity: JsonObject) {
  const res = await remote.send(remote.instanceActor, sharedInbox(), activity);
  return res.status;
}

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, peertube, noisy] = await Promise.all([
    startHaven(t.database, { overrides: { moderation: gate } }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.6" }),
  ]);
  alice = await mastodon.addActor("alice");
  channel = await createTestChannel(haven, "host", "calm");
  adminToken = (await haven.createUser("mod_jo", { admin: true })).token;
  const login = await fetch(`${haven.origin}/api/v1/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "host", password: "correct horse battery" }),
  });
  ownerToken = ((await login.json()) as { access_token: string }).access_token;
  video = await publishVideo(haven, channel, { commentsPolicy: "open" }, { event: false });
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), peertube?.close(), noisy?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
  gate.clear();
});

describe("a Mastodon report", () => {
  let reportId: string;

  test("from the instance actor, about the channel and a post: stored once, shown to moderators", async () => {
    const activity = flag(
      mastodon.instanceActor,
      [channel.groupId, noteOf(video)],
      "Spam in replies",
    );
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => sendFlag(mastodon, activity)),
    );
    for (const s of statuses) expect(s).toBeLessThan(300);
    await expect.poll(async () => (await storedFlags(activity.id)).length).toBe(1);
    expect(await sendFlag(mastodon, activity)).toBeLessThan(300);
    await inboxDrained(db());
    expect(await storedFlags(activity.id)).toHaveLength(1);

    const [report, ...others] = await reports();
    expect(others).toEqual([]);
    expect(report).toMatchObject({
      action_taken: false,
      action_taken_at: null,
      category: "other",
      comment: "Spam in replies",
      forwarded: false,
      account: { uri: mastodon.instanceActor.id, domain: "127.0.0.2" },
      target_account: { username: "calm", uri: channel.groupId },
      status_ids: [video.id],
      comment_ids: [],
      object_uris: [channel.groupId, noteOf(video)],
    });
    reportId = String(report?.id);
  });

  test("only moderators see it: no token → 401, the channel's own owner → 403", async () => {
    expect((await adminApi("", null)).status).toBe(401);
    expect((await adminApi("", ownerToken)).status).toBe(403);
    expect((await adminApi(`/${reportId}`, ownerToken)).status).toBe(403);
    expect((await adminApi(`/${reportId}/resolve`, ownerToken, "POST")).status).toBe(403);
    // Nor is it anywhere public.
    const page = await (await fetch(videoOf(video), { headers: { Accept: "text/html" } })).text();
    expect(page).not.toContain("Spam in replies");
  });

  test("resolving it moves it out of the open list", async () => {
    const res = await adminApi(`/${reportId}/resolve`, adminToken, "POST");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: reportId, action_taken: true });
    expect(await reports()).toEqual([]);
    expect((await reports("?resolved=true")).map((r) => r.id)).toEqual([reportId]);
    expect((await adminApi("/00000000-0000-4000-8000-000000000000", adminToken)).status).toBe(404);
  });

  test("nothing about reports is ever sent to another server", async () => {
    await inboxDrained(db(), EVERY_QUEUE);
    for (const remote of [mastodon, peertube, noisy]) expect(remote.attempts).toEqual([]);
  });
});

describe("a PeerTube report", () => {
  test("one URL object (our Video) and its required content", async () => {
    const activity = flag(peertube.instanceActor, videoOf(video), "Misleading medical advice");
    expect(await sendFlag(peertube, activity)).toBeLessThan(300);
    await expect.poll(async () => (await storedFlags(activity.id)).length).toBe(1);
    const found = (await reports()).find((r) => r.object_uris?.toString() === videoOf(video));
    expect(found).toMatchObject({
      comment: "Misleading medical advice",
      target_account: { username: "calm" },
      status_ids: [video.id],
    });
  });

  test("about a comment on our video: the comment and its video are named", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(video),
      mention: { id: channel.groupId, acct: `calm@${haven.host}` },
      text: "something hurtful",
    });
    expect((await mastodon.send(alice, sharedInbox(), reply)).status).toBeLessThan(300);
    const { comment } = await waitForComment(db(), reply.object.id);
    const activity = flag(peertube.instanceActor, reply.object.id, "Harassment");
    expect(await sendFlag(peertube, activity)).toBeLessThan(300);
    await expect.poll(async () => (await storedFlags(activity.id)).length).toBe(1);
    const [row] = await storedFlags(activity.id);
    expect(row).toMatchObject({ commentIds: [comment.id], videoIds: [video.id] });
  });
});

describe("dropped reports", () => {
  test("from a domain whose reports we reject, or a rejected domain", async () => {
    gate.set("127.0.0.6", { rejectReports: true });
    const fromNoisy = flag(noisy.instanceActor, [channel.groupId], "noise");
    expect(await sendFlag(noisy, fromNoisy)).toBeLessThan(300);
    await inboxDrained(db());
    gate.set("127.0.0.6", { action: "reject", rejectReports: true });
    const fromBlocked = flag(noisy.instanceActor, [channel.groupId], "noise 2");
    await sendFlag(noisy, fromBlocked);
    await inboxDrained(db());
    expect(await storedFlags(fromNoisy.id)).toEqual([]);
    expect(await storedFlags(fromBlocked.id)).toEqual([]);
  });

  test("naming nothing of ours, or with an id on another origin", async () => {
    const unrelated = flag(mastodon.instanceActor, [alice.id, `${alice.id}/statuses/1`], "x");
    expect(await sendFlag(mastodon, unrelated)).toBeLessThan(300);
    const squatting = {
      ...flag(mastodon.instanceActor, [channel.groupId], "y"),
      id: `${peertube.origin}/flags/1`,
    };
    expect(await sendFlag(mastodon, squatting)).toBe(400);
    await inboxDrained(db());
    expect(await storedFlags(unrelated.id)).toEqual([]);
    expect(await storedFlags(squatting.id)).toEqual([]);
  });
});

describe("a suspended domain", () => {
  test("its reports are purged with it", async () => {
    gate.clear();
    const activity = flag(noisy.instanceActor, [noteOf(video)], "before the block");
    expect(await sendFlag(noisy, activity)).toBeLessThan(300);
    await expect.poll(async () => (await storedFlags(activity.id)).length).toBe(1);
    expect(
      (await blockDomain(db(), { domain: "127.0.0.6", severity: "suspend" }, SYSTEM_ACTOR)).ok,
    ).toBe(true);
    expect(await purgeSuspendedDomain(db(), "127.0.0.6")).toMatchObject({
      ok: true,
      value: { removed: { remote_reports: 1 } },
    });
    expect(await storedFlags(activity.id)).toEqual([]);
    expect((await reports()).length).toBeGreaterThan(0); // others' reports stay
  });
});
