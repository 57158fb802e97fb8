/**
 * Likes and boosts of our videos from Mastodon and PeerTube, and their Undos (INTEROP §3.4,
 * §3.6; SECURITY #16): counted once per actor, undone only by whoever made them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { countReactions } from "../../src/comments/reaction.service.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  announce,
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  like,
  startFakeRemote,
  undo,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo } from "../support/video-fixtures.ts";
import { inboxDrained } from "./inbox-drained.ts";
import { TestModerationGate } from "./interaction-rig.ts";

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let peertube: FakeRemote;
let evil: FakeRemote;
let alice: FakeActor;
let bob: FakeActor;
let mallory: FakeActor;
let openVideo: SupportVideo;

const db = () => t.database.db;
const sharedInbox = () => `${haven.origin}/inbox`;
const noteOf = (v: SupportVideo) => `${haven.origin}/notes/${v.id}`;
const videoOf = (v: SupportVideo) => `${haven.origin}/videos/${v.id}`;

async function send(remote: FakeRemote, actor: FakeActor, activity: JsonObject) {
  const res = await remote.send(actor, sharedInbox(), activity);
  expect(res.status).toBeLessThan(300);
}

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, peertube, evil] = await Promise.all([
    startHaven(t.database, { overrides: { moderation: new TestModerationGate() } }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.4" }),
  ]);
  [alice, bob, mallory] = await Promise.all([
    mastodon.addActor("alice"),
    peertube.addActor("bob"),
    evil.addActor("mallory"),
  ]);
  const channel = await createTestChannel(haven, "host", "calm");
  openVideo = await publishVideo(haven, channel, { commentsPolicy: "open" }, { event: false });
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), peertube?.close(), evil?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("likes and boosts", () => {
  test("Like and Announce of the Note or the Video count once per actor; Undo by its actor only", async () => {
    const base = await countReactions(db(), openVideo.id);
    const aliceLike = like(alice, noteOf(openVideo));
    await send(mastodon, alice, aliceLike);
    await send(mastodon, alice, aliceLike); // duplicate delivery
    await send(mastodon, alice, like(alice, noteOf(openVideo))); // a second Like, new id
    await send(peertube, bob, like(bob, videoOf(openVideo)));
    await send(mastodon, alice, announce(alice, noteOf(openVideo)));
    const bobShare = announce(bob, videoOf(openVideo));
    await send(peertube, bob, bobShare);
    await send(mastodon, alice, like(alice, `${mastodon.origin}/users/carol/statuses/1`)); // not ours
    await expect
      .poll(() => countReactions(db(), openVideo.id))
      .toEqual({ likes: base.likes + 2, announces: base.announces + 2 });
    await inboxDrained(db());
    expect(await countReactions(db(), openVideo.id)).toEqual({
      likes: base.likes + 2,
      announces: base.announces + 2,
    });

    // mallory undoes alice's Like (embedded as alice's, and as her own with alice's id).
    await send(evil, mallory, { ...undo(mallory, aliceLike), id: `${mallory.id}#undo/1` });
    await send(evil, mallory, {
      ...undo(mallory, { ...aliceLike, actor: mallory.id }),
      id: `${mallory.id}#undo/2`,
    });
    await inboxDrained(db());
    expect((await countReactions(db(), openVideo.id)).likes).toBe(base.likes + 2);

    await send(mastodon, alice, undo(alice, aliceLike));
    await send(peertube, bob, undo(bob, bobShare));
    await expect
      .poll(() => countReactions(db(), openVideo.id))
      .toEqual({ likes: base.likes + 1, announces: base.announces + 1 });
  });

  test("PeerTube's View, Dislike, CacheFile and WatchAction are answered 2xx", async () => {
    for (const type of ["View", "Dislike", "CacheFile", "WatchAction"]) {
      const res = await peertube.send(bob, sharedInbox(), {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${bob.id}/${type.toLowerCase()}/${Date.now()}`,
        type,
        actor: bob.id,
        object: videoOf(openVideo),
      });
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
    }
  });

  test("a Like whose id is on another origin is not stored (it could squat someone's id)", async () => {
    const base = await countReactions(db(), openVideo.id);
    const squat = { ...like(mallory, noteOf(openVideo)), id: `${alice.id}#likes/squat` };
    expect((await evil.send(mallory, sharedInbox(), squat)).status).toBe(400);
    await inboxDrained(db());
    expect(await countReactions(db(), openVideo.id)).toEqual(base);
  });
});
