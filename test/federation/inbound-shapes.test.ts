/**
 * Activities shaped unlike Mastodon's, as independent servers and an ActivityPub test suite send
 * them: an Undo{Follow} whose Follow omits its actor or is only an id; a `@context` without the
 * ActivityStreams context (AS2 core §2.1: assume it); an `actor` given as a list; PeerTube's
 * Dislike. Each is read as its sender meant it, or refused saying what is wrong.
 */
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { countReactions } from "../../src/comments/reaction.service.ts";
import { follows, remoteActors } from "../../src/db/schema/index.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  follow,
  type JsonObject,
  like,
  PUBLIC,
  startFakeRemote,
  undo,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";
import { inboxDrained } from "./inbox-drained.ts";

let t: TestDatabase;
let haven: TestHaven;
let indie: FakeRemote;
let peertube: FakeRemote;
let channel: TestChannel;
let video: SupportVideo;
/** Errors Fedify and Haven log while this file runs. */
const errors: LogRecord[] = [];

const db = () => t.database.db;
const sharedInbox = () => `${haven.origin}/inbox`;

async function followStatus(actorIri: string): Promise<string[]> {
  const rows = await db()
    .select({ status: follows.status })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(eq(remoteActors.iri, actorIri));
  return rows.map((r) => r.status);
}

async function following(remote: FakeRemote, actor: FakeActor, activity: JsonObject) {
  expect((await remote.send(actor, channel.inbox, activity)).status).toBe(202);
  await expect.poll(() => followStatus(actor.id)).toEqual(["accepted"]);
}

beforeAll(async () => {
  await configure({
    reset: true,
    sinks: { errors: (record) => errors.push(record) },
    loggers: [
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: ["errors"] },
      { category: ["fedify"], lowestLevel: "error", sinks: ["errors"] },
      { category: ["haven"], lowestLevel: "error", sinks: ["errors"] },
    ],
  });
  t = await createTestDatabase();
  [haven, indie, peertube] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.6" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
  ]);
  channel = await createTestChannel(haven, "host", "calm");
  video = await publishVideo(haven, channel, { commentsPolicy: "open" }, { event: false });
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([indie?.close(), peertube?.close()]);
  await t?.close();
  await reset();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("Undo{Follow} with less than Mastodon embeds", () => {
  test("a Follow given only by its id, or embedded without id or actor: unfollowed", async () => {
    const ben = await indie.addActor("ben");
    const byId = follow(ben, channel.groupId);
    await following(indie, ben, byId);
    const res = await indie.send(ben, sharedInbox(), { ...undo(ben, byId), object: byId.id });
    expect(res.status).toBe(202);
    await expect.poll(() => followStatus(ben.id)).toEqual([]);

    const anonymous = follow(ben, channel.groupId);
    await following(indie, ben, anonymous);
    const bare = { type: "Follow", object: channel.groupId };
    const undone = await indie.send(ben, sharedInbox(), { ...undo(ben, anonymous), object: bare });
    expect(undone.status).toBe(202);
    await expect.poll(() => followStatus(ben.id)).toEqual([]);
  });

  test("a Follow without `actor` is the Undo's actor's: unfollowed by her, not by another", async () => {
    const cat = await indie.addActor("cat");
    const mal = await indie.addActor("mal");
    const activity = follow(cat, channel.groupId);
    await following(indie, cat, activity);
    const { actor: _actor, ...withoutActor } = activity;
    // mal undoes cat's Follow: without its actor, as cat's, and by its id.
    for (const [n, object] of [withoutActor, activity, activity.id].entries()) {
      const forged = { ...undo(mal, activity), id: `${mal.id}#undo/${n}`, object };
      expect((await indie.send(mal, sharedInbox(), forged)).status).toBe(202);
    }
    await inboxDrained(db());
    expect(await followStatus(cat.id)).toEqual(["accepted"]);

    const res = await indie.send(cat, sharedInbox(), {
      ...undo(cat, activity),
      object: withoutActor,
    });
    expect(res.status).toBe(202);
    await expect.poll(() => followStatus(cat.id)).toEqual([]);
  });
});

describe("a @context without the ActivityStreams context", () => {
  test("is read as ActivityStreams, on the first request (Fedify) and later ones (fast path)", async () => {
    const dee = await indie.addActor("dee");
    // Only the security vocabulary: every ActivityStreams term would be unknown.
    const activity = {
      ...follow(dee, channel.groupId),
      "@context": "https://w3id.org/security/v1",
    };
    await following(indie, dee, activity);
    const likes = async () => (await countReactions(db(), video.id)).likes;
    const base = await likes();
    const send = async (activity: JsonObject, context: unknown) =>
      expect(
        (await indie.send(dee, sharedInbox(), { ...activity, "@context": context })).status,
      ).toBe(202);
    const fastPath = haven.deps.fed.inboxFastPath!;
    const fastBefore = fastPath.stats.accepted;
    const liked = like(dee, `${haven.origin}/videos/${video.id}`);
    await send(liked, [{ toot: "http://joinmastodon.org/ns#" }]);
    await expect.poll(likes).toBe(base + 1);
    await send(undo(dee, liked), []);
    await expect.poll(likes).toBe(base);
    await send(like(dee, `${haven.origin}/videos/${video.id}`), null);
    await expect.poll(likes).toBe(base + 1);
    expect(fastPath.stats.accepted).toBe(fastBefore + 3);
  });
});

describe("`actor` as a list", () => {
  test("several actors → 400 saying so, nothing stored; a list of one is that actor", async () => {
    const eve = await indie.addActor("eve");
    const fay = await indie.addActor("fay");
    const several = { ...follow(eve, channel.groupId), actor: [eve.id, fay.id] };
    const refused = await indie.send(eve, channel.inbox, several);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toEqual({
      error: "activity has 2 actors; exactly one is required (the signer)",
    });
    expect(await followStatus(eve.id)).toEqual([]);

    await following(indie, eve, { ...follow(eve, channel.groupId), actor: [eve.id] });
    expect(await followStatus(fay.id)).toEqual([]);
  });
});

describe("PeerTube's Dislike", () => {
  test("answered 202, not counted, and no error logged (nor for its Undo)", async () => {
    const gus = await peertube.addActor("gus");
    const before = await countReactions(db(), video.id);
    // PeerTube's send-dislike.ts: `<actor>/dislikes/<video>`, sent to the video's origin.
    const dislike = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${gus.id}/dislikes/1`,
      type: "Dislike",
      actor: gus.id,
      object: `${haven.origin}/videos/${video.id}`,
      to: [PUBLIC],
      cc: [gus.followers],
    };
    errors.length = 0;
    expect((await peertube.send(gus, sharedInbox(), dislike)).status).toBe(202);
    expect((await peertube.send(gus, sharedInbox(), undo(gus, dislike))).status).toBe(202);
    await inboxDrained(db());
    // Errors about gus's activities (deliveries elsewhere in this file are not this test's).
    const aboutGus = errors.filter((e) => JSON.stringify(e.properties).includes(gus.id));
    expect(aboutGus.map((e) => String(e.rawMessage))).toEqual([]);
    expect(await countReactions(db(), video.id)).toEqual(before);
  });
});
