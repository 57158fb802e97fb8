/**
 * Who gets the PeerTube face when a follower's NodeInfo cannot be read
 * (video-recipients.ts): the follower's stored actor document decides, and
 * only then; a readable NodeInfo always wins.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { InstanceSoftwareResolver } from "../../federation/videos/instance-software.ts";
import { peertubeFollowers } from "../../federation/videos/video-recipients.ts";
import { instanceSoftware } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import {
  createTestChannel,
  followChannel,
  publishVideo,
  type TestChannel,
} from "../support/video-fixtures.ts";

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let peertube: FakeRemote;
let alice: FakeActor; // Mastodon
let bob: FakeActor; // PeerTube
let channel: TestChannel;

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, peertube] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.5" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.6" }),
  ]);
  // Both instances' NodeInfo is down the whole time.
  mastodon.setNodeInfoStatus(500);
  peertube.setNodeInfoStatus(500);
  [alice, bob] = await Promise.all([mastodon.addActor("alice"), peertube.addActor("bob")]);
  channel = await createTestChannel(haven, "ana", "calm");
  await followChannel(mastodon, alice, channel);
  await followChannel(peertube, bob, channel);
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), peertube?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

test("NodeInfo answering 500: the PeerTube follower still gets Announce{Video}, Mastodon does not", async () => {
  const video = await publishVideo(haven, channel);
  const videoId = `${haven.origin}/videos/${video.id}`;
  const announce = await peertube.waitForDelivery((d) => d.body?.type === "Announce");
  expect(announce).toMatchObject({ verified: true, signer: { owner: channel.groupId } });
  expect(announce.body).toMatchObject({
    type: "Announce",
    actor: channel.groupId,
    object: videoId,
  });
  // Mastodon gets the Note only; its Announce would have been queued at the same time.
  const noteId = `${haven.origin}/notes/${video.id}`;
  await mastodon.waitForDelivery(
    (d) => d.body?.type === "Create" && (d.body.object as JsonObject)?.id === noteId,
  );
  await new Promise((r) => setTimeout(r, 1000));
  expect(mastodon.attempts.filter((a) => a.raw.includes('"Announce"'))).toEqual([]);
  // NodeInfo was asked and found unreadable: the cache says so.
  const rows = await t.database.db.select().from(instanceSoftware);
  expect(rows).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ domain: peertube.domain, software: "unknown" }),
      expect.objectContaining({ domain: mastodon.domain, software: "unknown" }),
    ]),
  );
});

test("a readable NodeInfo wins over the actor's shape", async () => {
  const db = t.database.db;
  const resolver = new InstanceSoftwareResolver({ db, safeFetch: haven.deps.safeFetch });
  // Unknown: the shape decides.
  expect((await peertubeFollowers(db, resolver, channel.channel.id)).map((f) => f.iri)).toEqual([
    bob.id,
  ]);
  // The instance now says it runs something else: no PeerTube face, whatever its URLs look like.
  await db
    .update(instanceSoftware)
    .set({ software: "funkwhale", fetchedAt: new Date() })
    .where(eq(instanceSoftware.domain, peertube.domain));
  expect(await peertubeFollowers(db, resolver, channel.channel.id)).toEqual([]);
  // And once NodeInfo is back and says PeerTube, NodeInfo alone decides again.
  peertube.setNodeInfoStatus(null);
  await db.delete(instanceSoftware).where(eq(instanceSoftware.domain, peertube.domain));
  expect((await peertubeFollowers(db, resolver, channel.channel.id)).map((f) => f.iri)).toEqual([
    bob.id,
  ]);
  const [row] = await db
    .select()
    .from(instanceSoftware)
    .where(eq(instanceSoftware.domain, peertube.domain));
  expect(row?.software).toBe("peertube");
});
