/**
 * The inbox fast path (ADR 0008): once the slow path (Fedify) has verified a key, later plain
 * draft-cavage POSTs signed with it are verified with node:crypto and enqueued without Fedify's
 * inbox handler. Each test first sends through the slow path, so the key is cached, then checks
 * what the fast path accepts (with its effect, and without fetching anything) and that every
 * forgery still gets the slow path's status with nothing stored. Signed by the rig's own signer.
 */
import { eq, or } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { InboxFastPath } from "../../federation/http/inbox-fast-path.ts";
import { follows, remoteActors } from "../../src/db/schema/index.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  follow,
  generateRsaKeyPair,
  type HttpResult,
  httpRequest,
  type JsonObject,
  type SendOptions,
  startFakeRemote,
  undo,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { signRequest } from "../support/http-signatures.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";
import { EVERY_QUEUE, inboxDrained } from "./inbox-drained.ts";
import { mastodonReply, TestModerationGate, waitForComment } from "./interaction-rig.ts";

const BLOCKABLE_HOST = "127.0.0.9";

let t: TestDatabase;
let haven: TestHaven;
const gate = new TestModerationGate();
let mastodon: FakeRemote;
let gts: FakeRemote;
let blockable: FakeRemote;
let channel: TestChannel;
let video: SupportVideo;
let alice: FakeActor;
let mallory: FakeActor;

const fastPath = (): InboxFastPath => haven.deps.fed.inboxFastPath!;
const sharedInbox = () => `${haven.origin}/inbox`;

/** Follow rows by `actorIri` or for `activityIri` (refused requests must leave none). */
async function followsFor(actorIri: string, activityIri: string) {
  const rows = await t.database.db
    .select({ id: follows.id })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(or(eq(remoteActors.iri, actorIri), eq(follows.activityIri, activityIri)));
  return rows.length;
}

async function followStatus(actorIri: string): Promise<string[]> {
  const rows = await t.database.db
    .select({ status: follows.status })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(eq(remoteActors.iri, actorIri));
  return rows.map((r) => r.status);
}

/** GETs `remote` received for `actor`'s document or key since `since`. */
const keyFetches = (remote: FakeRemote, actor: FakeActor, since = 0) =>
  remote.incomingRequests
    .slice(since)
    .filter((r) => r.method === "GET" && (r.url === actor.id || r.url === actor.keyId)).length;

/** A Like of something that is not ours: verified and queued, then ignored by the worker. */
const harmlessLike = (actor: FakeActor) => ({
  ...follow(actor, channel.groupId),
  type: "Like",
  object: `${actor.id}/statuses/elsewhere`,
});

/** Sends and expects the fast path to accept it (the counter moves only when it enqueues). */
async function sendFast(
  remote: FakeRemote,
  actor: FakeActor,
  inbox: string,
  activity: JsonObject,
  options: SendOptions = {},
): Promise<HttpResult> {
  const { accepted, learned } = fastPath().stats;
  const res = await remote.send(actor, inbox, activity, options);
  expect(res.status, res.body).toBe(202);
  expect(fastPath().stats.accepted).toBe(accepted + 1);
  expect(fastPath().stats.learned).toBe(learned);
  return res;
}

/** Makes sure the slow path has verified (and the fast path cached) `actor`'s key. */
async function cacheKey(remote: FakeRemote, actor: FakeActor): Promise<void> {
  if (fastPath().keys.get(actor.signingKeyId)) return;
  const learned = fastPath().stats.learned;
  const accepted = fastPath().stats.accepted;
  const res = await remote.send(actor, sharedInbox(), harmlessLike(actor));
  expect(res.status, res.body).toBe(202);
  expect(fastPath().stats.learned).toBe(learned + 1);
  expect(fastPath().stats.accepted).toBe(accepted);
  expect(fastPath().keys.get(actor.signingKeyId)?.owner).toBe(actor.id);
}

/** A Follow of the channel by alice, refused with `status`, nothing stored, not accepted fast. */
async function expectRefused(options: SendOptions & { status?: number; inbox?: string }) {
  await cacheKey(mastodon, alice);
  const accepted = fastPath().stats.accepted;
  const activity = follow(alice, channel.groupId);
  const res = await mastodon.send("alice", options.inbox ?? channel.inbox, activity, options);
  expect(res.status, res.body).toBe(options.status ?? 401);
  expect(fastPath().stats.accepted).toBe(accepted);
  await inboxDrained(t.database.db);
  expect(await followsFor(alice.id, activity.id)).toBe(0);
}

/** Signs for `signUrl` and POSTs to `sendUrl` (a signature captured elsewhere, replayed). */
function replay(actor: FakeActor, activity: JsonObject, signUrl: string, sendUrl: string) {
  const body = JSON.stringify(activity);
  const headers = signRequest({
    method: "POST",
    url: signUrl,
    body,
    keyId: actor.keyId,
    privateKeyPem: actor.keys.privateKeyPem,
  });
  return httpRequest({
    method: "POST",
    url: sendUrl,
    body,
    headers: { ...headers, Host: haven.host },
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, gts, blockable] = await Promise.all([
    startHaven(t.database, { overrides: { moderation: gate } }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "gotosocial", host: "127.0.0.4" }),
    startFakeRemote({ kind: "mastodon", host: BLOCKABLE_HOST }),
  ]);
  channel = await createTestChannel(haven, "host", "calm");
  video = await publishVideo(haven, channel, { commentsPolicy: "open" }, { event: false });
  // alice is only ever refused: she never follows, so refusals can be counted.
  [alice, mallory] = await Promise.all([mastodon.addActor("alice"), mastodon.addActor("mallory")]);
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), gts?.close(), blockable?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
  gate.clear();
});

describe("accepted on the fast path, with the slow path's answer and effect", () => {
  test("Follow, Undo and a Create reply from Mastodon have their effect", async () => {
    const ann = await mastodon.addActor("ann");
    await cacheKey(mastodon, ann);
    const activity = follow(ann, channel.groupId);
    await sendFast(mastodon, ann, channel.inbox, activity);
    await expect.poll(() => followStatus(ann.id)).toEqual(["accepted"]);
    await mastodon.waitForDelivery(
      (d) => d.body?.type === "Accept" && (d.body.object as JsonObject).id === activity.id,
    );

    await sendFast(mastodon, ann, channel.inbox, undo(ann, activity));
    await expect.poll(() => followStatus(ann.id)).toEqual([]);

    const reply = mastodonReply(ann, {
      inReplyTo: `${haven.origin}/notes/${video.id}`,
      mention: { id: channel.groupId, acct: `calm@${haven.host}` },
      text: "This helped, thank you.",
    });
    await sendFast(mastodon, ann, sharedInbox(), reply);
    const stored = await waitForComment(t.database.db, reply.object.id);
    expect(stored.authorIri).toBe(ann.id);
    expect(stored.comment.state).toBe("visible");
  });

  test("nothing is fetched: no key, no actor document", async () => {
    const dan = await mastodon.addActor("dan");
    await cacheKey(mastodon, dan);
    await inboxDrained(t.database.db, EVERY_QUEUE);
    const seen = mastodon.incomingRequests.length;
    // Likes of something not ours: the worker drops them without fetching either.
    for (let i = 0; i < 3; i++) await sendFast(mastodon, dan, sharedInbox(), harmlessLike(dan));
    await inboxDrained(t.database.db, EVERY_QUEUE);
    expect(mastodon.incomingRequests.slice(seen)).toEqual([]);
  });

  test("the accepted answer is byte for byte the slow path's", async () => {
    const bea = await mastodon.addActor("bea");
    const slow = await mastodon.send(bea, sharedInbox(), harmlessLike(bea)); // slow; learns the key
    expect(fastPath().keys.get(bea.keyId)).toBeDefined();
    const fast = await sendFast(mastodon, bea, sharedInbox(), harmlessLike(bea));
    expect(fast.status).toBe(slow.status);
    expect(fast.body).toBe(slow.body);
    expect(fast.headers["content-type"]).toBe(slow.headers["content-type"]);
    expect(fast.headers.vary).toBe(slow.headers.vary);
  });

  test("GoToSocial: hs2019, key at its own path (/main-key), signed (request-target) host date digest", async () => {
    const gina = await gts.addActor("gina");
    await cacheKey(gts, gina);
    expect(gina.keyId).toMatch(/\/main-key$/);
    await sendFast(gts, gina, channel.inbox, follow(gina, channel.groupId), {
      algorithm: "hs2019",
    });
    await expect.poll(() => followStatus(gina.id)).toEqual(["accepted"]);
  });

  test("a replayed delivery, ten at once on the fast path → one follow", async () => {
    const rex = await mastodon.addActor("rex");
    await cacheKey(mastodon, rex);
    const activity = follow(rex, channel.groupId);
    const body = JSON.stringify(activity);
    const headers = signRequest({
      method: "POST",
      url: channel.inbox,
      body,
      keyId: rex.keyId,
      privateKeyPem: rex.keys.privateKeyPem,
    });
    const accepted = fastPath().stats.accepted;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        httpRequest({ method: "POST", url: channel.inbox, body, headers }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(fastPath().stats.accepted).toBe(accepted + 10);
    await inboxDrained(t.database.db, EVERY_QUEUE);
    expect(await followStatus(rex.id)).toEqual(["accepted"]);
  });
});

describe("refused as before, with the key cached", () => {
  test("body changed after signing (digest mismatch) → 401", async () => {
    await expectRefused({ bodyAfterSigning: JSON.stringify(follow(alice, channel.groupId)) });
  });

  test("Digest not among the signed headers → 401", async () => {
    await expectRefused({ headersToSign: ["(request-target)", "host", "date", "content-type"] });
  });

  test("signed headers without host, (request-target) or date → 401 each", async () => {
    for (const headersToSign of [
      ["(request-target)", "date", "digest", "content-type"],
      ["host", "date", "digest", "content-type"],
      ["(request-target)", "host", "digest", "content-type"],
    ]) {
      await expectRefused({ headersToSign, inbox: sharedInbox() });
    }
  });

  test("Date two hours old or ahead → 401", async () => {
    for (const hours of [-2, 2]) {
      await expectRefused({ date: new Date(Date.now() + hours * 3600_000) });
    }
  });

  test("a signature made for another path or another host → 401", async () => {
    for (const signUrl of [
      `${haven.origin}/users/someone/inbox`,
      `http://127.0.0.1:9/users/calm/inbox`,
    ]) {
      await cacheKey(mastodon, alice);
      const accepted = fastPath().stats.accepted;
      const activity = follow(alice, channel.groupId);
      const res = await replay(alice, activity, signUrl, channel.inbox);
      expect(res.status, signUrl).toBe(401);
      expect(fastPath().stats.accepted).toBe(accepted);
      expect(await followsFor(alice.id, activity.id)).toBe(0);
    }
  });

  test("mallory's cached key, actor = alice → 401", async () => {
    await cacheKey(mastodon, mallory);
    await expectRefused({ keyId: mallory.keyId, privateKeyPem: mallory.keys.privateKeyPem });
    // Alice's cached key id, mallory's private key.
    await expectRefused({ privateKeyPem: mallory.keys.privateKeyPem });
  });

  test("garbage Signature headers → 401", async () => {
    for (const Signature of [
      "garbage",
      `keyId="${alice.keyId}",headers="(request-target) host date digest",signature="AAAA"`,
      `keyId="${alice.keyId}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="!!*"`,
    ]) {
      await expectRefused({ headersAfterSigning: { Signature } });
    }
  });

  test("an unknown personal inbox → 404, as from Fedify", async () => {
    await cacheKey(mastodon, alice);
    const accepted = fastPath().stats.accepted;
    const res = await mastodon.send(alice, `${haven.origin}/users/nobody/inbox`, {
      ...follow(alice, `${haven.origin}/users/nobody`),
    });
    expect(res.status).toBe(404);
    expect(fastPath().stats.accepted).toBe(accepted);
    expect(fastPath().stats.fallbacks["recipient-unknown"]).toBeGreaterThan(0);
  });
});

describe("keys and policy", () => {
  test("a rotated key: one re-fetch, accepted, then fast again with the new key", async () => {
    const rotor = await mastodon.addActor("rotor");
    await cacheKey(mastodon, rotor);
    const activity = follow(rotor, channel.groupId);
    await sendFast(mastodon, rotor, channel.inbox, activity);
    await expect.poll(() => followStatus(rotor.id)).toEqual(["accepted"]);
    await inboxDrained(t.database.db, EVERY_QUEUE);
    const oldKey = fastPath().keys.get(rotor.keyId)!.key;

    rotor.keys = await generateRsaKeyPair(); // the actor document now serves the new key
    const before = mastodon.incomingRequests.length;
    const { learned } = fastPath().stats;
    const res = await mastodon.send(rotor, channel.inbox, undo(rotor, activity));
    expect(res.status, res.body).toBe(202);
    expect(keyFetches(mastodon, rotor, before)).toBe(1);
    expect(fastPath().stats.learned).toBe(learned + 1);
    expect(fastPath().keys.get(rotor.keyId)?.key.equals(oldKey)).toBe(false);
    await expect.poll(() => followStatus(rotor.id)).toEqual([]);

    await sendFast(mastodon, rotor, sharedInbox(), harmlessLike(rotor));
    expect(keyFetches(mastodon, rotor, before)).toBe(1);
  });

  test("a suspended domain is refused before anything, though its key is cached", async () => {
    const eve = await blockable.addActor("eve");
    await cacheKey(blockable, eve);
    await inboxDrained(t.database.db, EVERY_QUEUE);
    gate.set(BLOCKABLE_HOST, { action: "reject" });
    const accepted = fastPath().stats.accepted;
    const seen = blockable.incomingRequests.length;
    const activity = follow(eve, channel.groupId);
    const res = await blockable.send(eve, channel.inbox, activity);
    expect(res.status).toBe(403);
    expect(fastPath().stats.accepted).toBe(accepted);
    await inboxDrained(t.database.db, EVERY_QUEUE);
    expect(await followStatus(eve.id)).toEqual([]);
    expect(blockable.incomingRequests.slice(seen)).toEqual([]);
  });
});
