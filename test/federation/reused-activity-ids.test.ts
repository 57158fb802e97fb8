/**
 * Activity ids that come back after an Undo. PeerTube reuses its ids on purpose (a Like is
 * `<actor>/likes/<video>`, its Undo `<like>/undo`, every time), Misskey its Follow ids: a copy
 * signed after the Undo is a new act and has its effect. A copy signed before the Undo is a
 * replay (within the signature window anyone who saw it can resend it) and changes nothing —
 * also ten at once. Signature times are whole seconds, so each step here is signed a second
 * after the one before, as a real server's clock would.
 */
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
  PUBLIC,
  startFakeRemote,
  undo,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";
import { EVERY_QUEUE, inboxDrained } from "./inbox-drained.ts";

let t: TestDatabase;
let haven: TestHaven;
let peertube: FakeRemote;
let misskey: FakeRemote;
let channel: TestChannel;
let video: SupportVideo;

const db = () => t.database.db;
const sharedInbox = () => `${haven.origin}/inbox`;

/** Seconds after a start one minute ago: inside the signature window, in the sender's order. */
const start = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const at = (second: number) => new Date(start + second * 1000);

async function followStatus(actorIri: string): Promise<string[]> {
  const rows = await db()
    .select({ status: follows.status })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(eq(remoteActors.iri, actorIri));
  return rows.map((r) => r.status);
}

async function sendAt(
  remote: FakeRemote,
  actor: FakeActor,
  inbox: string,
  activity: JsonObject,
  second: number,
) {
  const res = await remote.send(actor, inbox, activity, { date: at(second) });
  expect(res.status, res.body).toBe(202);
  return res;
}

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, peertube, misskey] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.5" }),
  ]);
  channel = await createTestChannel(haven, "host", "calm");
  video = await publishVideo(haven, channel, { commentsPolicy: "open" }, { event: false });
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([peertube?.close(), misskey?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("PeerTube: like, unlike, like again (the same Like id, the same Undo id)", () => {
  test("each newer copy has its effect; replays of older ones change nothing", async () => {
    const bob = await peertube.addActor("bob");
    const likes = async () => (await countReactions(db(), video.id)).likes;
    const base = await likes();
    // PeerTube's Like (send-like.ts) and its Undo (send-undo.ts), ids as PeerTube builds them.
    const like = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${bob.id}/likes/1`,
      type: "Like",
      actor: bob.id,
      object: `${haven.origin}/videos/${video.id}`,
      to: [PUBLIC],
      cc: [bob.followers],
    };
    const unlike = { ...undo(bob, like), to: [PUBLIC], cc: [bob.followers] };
    expect(unlike.id).toBe(`${like.id}/undo`);

    await sendAt(peertube, bob, sharedInbox(), like, 0);
    await expect.poll(likes).toBe(base + 1);
    await sendAt(peertube, bob, sharedInbox(), unlike, 1);
    await expect.poll(likes).toBe(base);
    await sendAt(peertube, bob, sharedInbox(), like, 2); // like again: same id
    await expect.poll(likes).toBe(base + 1);
    await sendAt(peertube, bob, sharedInbox(), unlike, 3); // unlike again: same Undo id
    await expect.poll(likes).toBe(base);
    await sendAt(peertube, bob, sharedInbox(), like, 4);
    await expect.poll(likes).toBe(base + 1);

    // Replays of the earlier requests, byte for byte (same Date, so the same signature).
    for (const [activity, second] of [
      [unlike, 1],
      [unlike, 3],
    ] as const) {
      const replay = await sendAt(peertube, bob, sharedInbox(), activity, second);
      expect(replay.body).toMatch(/undone/);
    }
    await inboxDrained(db());
    expect(await likes()).toBe(base + 1);
    await sendAt(peertube, bob, sharedInbox(), unlike, 5);
    await expect.poll(likes).toBe(base);
    await sendAt(peertube, bob, sharedInbox(), like, 0);
    await sendAt(peertube, bob, sharedInbox(), like, 4);
    await inboxDrained(db());
    expect(await likes()).toBe(base);
  });
});

describe("a Follow id that was undone: the original signed Follow replayed", () => {
  test("the original signed Follow replayed after the Undo, ten times at once → still unfollowed", async () => {
    const carol = await misskey.addActor("carol");
    const activity = follow(carol, channel.groupId);
    await sendAt(misskey, carol, channel.inbox, activity, 0);
    await expect.poll(() => followStatus(carol.id)).toEqual(["accepted"]);
    const unfollow = undo(carol, activity);
    await sendAt(misskey, carol, sharedInbox(), unfollow, 1);
    await expect.poll(() => followStatus(carol.id)).toEqual([]);

    const replays = await Promise.all(
      Array.from({ length: 10 }, () =>
        misskey.send(carol, channel.inbox, activity, { date: at(0) }),
      ),
    );
    expect(replays.map((r) => r.status)).toEqual(Array(10).fill(202));
    await inboxDrained(db(), EVERY_QUEUE);
    expect(await followStatus(carol.id)).toEqual([]);
    const accepts = () =>
      misskey.deliveries.filter(
        (d) => d.body?.type === "Accept" && (d.body.object as JsonObject).id === activity.id,
      );
    expect(accepts()).toHaveLength(1);

    // The same id, signed after the Undo: Misskey following again → follows, answered.
    await sendAt(misskey, carol, channel.inbox, activity, 2);
    await expect.poll(() => followStatus(carol.id)).toEqual(["accepted"]);
    await expect.poll(() => accepts().length).toBe(2);
    // Neither the old Undo nor the re-follow can be replayed to change that.
    await sendAt(misskey, carol, sharedInbox(), unfollow, 1);
    await sendAt(misskey, carol, channel.inbox, activity, 2);
    await inboxDrained(db(), EVERY_QUEUE);
    expect(await followStatus(carol.id)).toEqual(["accepted"]);
    expect(accepts()).toHaveLength(2);
  });
});
