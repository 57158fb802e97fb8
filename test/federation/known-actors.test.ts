/**
 * The inbox worker uses the remote_actors row it holds instead of fetching
 * and parsing the actor's document again for every Follow, reply and Like
 * (federation/inbox/remote-author.ts) — while a row is younger than a day.
 * An older row is refreshed by the next activity, Update{actor} refreshes it
 * at once, and the moderation policy is asked before a stored row is used.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { countReactions } from "../../src/comments/reaction.service.ts";
import { follows, remoteActors, videoComments } from "../../src/db/schema/index.ts";
import { upsertRemoteActor } from "../../src/remote/remote-actor.service.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  createNote,
  type FakeActor,
  type FakeRemote,
  follow,
  type JsonObject,
  like,
  PUBLIC,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";
import { EVERY_QUEUE, inboxDrained } from "./inbox-drained.ts";
import { TestModerationGate } from "./interaction-rig.ts";

let t: TestDatabase;
let haven: TestHaven;
let gate: TestModerationGate;
let mastodon: FakeRemote;
let channel: TestChannel;
let video: SupportVideo;

const db = () => t.database.db;
const sharedInbox = () => `${haven.origin}/inbox`;
const noteOf = (v: SupportVideo) => `${haven.origin}/notes/${v.id}`;

/** GETs of the actor's document the remote served (the web side's key fetch included). */
const documentFetches = (actor: FakeActor) =>
  mastodon.incomingRequests.filter((r) => r.method === "GET" && r.url === actor.id).length;

/**
 * First contact: the web side fetches the actor's key (its document) to
 * verify the signature, and keeps it. A Like of something that is not ours
 * makes the worker fetch nothing. Returns the fetch count from then on.
 */
async function introduce(actor: FakeActor): Promise<number> {
  await send(actor, sharedInbox(), like(actor, `${mastodon.origin}/users/someone/statuses/1`));
  await inboxDrained(db(), EVERY_QUEUE);
  return documentFetches(actor);
}

async function storedActor(actor: FakeActor) {
  const [row] = await db().select().from(remoteActors).where(eq(remoteActors.iri, actor.id));
  return row ?? null;
}

async function followsOf(actor: FakeActor) {
  return db()
    .select({ activityIri: follows.activityIri, status: follows.status })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(eq(remoteActors.iri, actor.id));
}

async function commentsOf(actor: FakeActor) {
  return db()
    .select({ iri: videoComments.iri })
    .from(videoComments)
    .innerJoin(remoteActors, eq(remoteActors.id, videoComments.authorId))
    .where(eq(remoteActors.iri, actor.id));
}

function reply(actor: FakeActor): { activity: JsonObject; noteId: string } {
  const activity = createNote(actor, {
    content: "<p>This helped, thank you.</p>",
    inReplyTo: noteOf(video),
    to: [PUBLIC],
  });
  return { activity, noteId: (activity.object as JsonObject).id as string };
}

/** Stores `actor` as if fetched `ageMs` ago, without Haven fetching it. */
async function storeAs(actor: FakeActor, ageMs: number, displayName = "stored name") {
  await upsertRemoteActor(db(), {
    iri: actor.id,
    type: "Person",
    handle: `${actor.username}@${mastodon.domain}`,
    inboxUrl: actor.inbox,
    sharedInboxUrl: null,
    displayName,
    url: null,
    raw: null,
  });
  await db()
    .update(remoteActors)
    .set({ fetchedAt: sql`now() - ${ageMs} * interval '1 millisecond'` })
    .where(eq(remoteActors.iri, actor.id));
}

async function send(actor: FakeActor, inbox: string, activity: JsonObject) {
  const res = await mastodon.send(actor, inbox, activity);
  expect(res.status).toBeLessThan(300);
}

beforeAll(async () => {
  t = await createTestDatabase();
  gate = new TestModerationGate();
  [haven, mastodon] = await Promise.all([
    // Workers start in the tests: the first one queues activities before they run.
    startHaven(t.database, { overrides: { moderation: gate }, workers: false }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
  ]);
  channel = await createTestChannel(haven, "host", "calm");
  video = await publishVideo(haven, channel, { commentsPolicy: "open" }, { event: false });
});
afterAll(async () => {
  await haven?.close();
  await mastodon?.close();
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
  gate.clear();
});

describe("a stored actor whose domain is then suspended", () => {
  test("its queued Follow, Like and reply are refused by the worker: nothing stored or fetched", async () => {
    const sam = await mastodon.addActor("sam");
    await storeAs(sam, 0);
    // Accepted by the web side while the domain was in good standing…
    await send(sam, channel.inbox, follow(sam, channel.groupId));
    await send(sam, sharedInbox(), like(sam, noteOf(video)));
    await send(sam, sharedInbox(), reply(sam).activity);
    const webFetches = documentFetches(sam); // the key, to verify the signatures
    // …then suspended before the worker got to them.
    gate.set(new URL(mastodon.origin).hostname, { action: "reject" });
    haven.startWorkers();
    await inboxDrained(db(), EVERY_QUEUE);

    expect(await followsOf(sam)).toEqual([]);
    expect(await commentsOf(sam)).toEqual([]);
    expect(await countReactions(db(), video.id)).toEqual({ likes: 0, announces: 0 });
    expect(documentFetches(sam)).toBe(webFetches);
    expect(mastodon.deliveries.filter((d) => d.actorUsername === sam.username)).toEqual([]);
  });
});

describe("a recently stored actor", () => {
  test("its Follow, reply and Like are handled from the row: the document is not fetched again", async () => {
    haven.startWorkers();
    const alice = await mastodon.addActor("alice", { name: "Alice" });
    const known = await introduce(alice);
    const first = follow(alice, channel.groupId);
    await send(alice, channel.inbox, first);
    await inboxDrained(db(), EVERY_QUEUE);
    expect((await storedActor(alice))?.displayName).toBe("Alice");
    const fetchedOnce = documentFetches(alice);
    expect(fetchedOnce).toBe(known + 1); // new to the worker: fetched

    alice.name = "Alice, renamed"; // not announced by an Update: the row stands for a day
    const again = follow(alice, channel.groupId);
    await send(alice, channel.inbox, again);
    const note = reply(alice);
    await send(alice, sharedInbox(), note.activity);
    await send(alice, sharedInbox(), like(alice, noteOf(video)));
    await inboxDrained(db(), EVERY_QUEUE);

    expect(await followsOf(alice)).toEqual([{ activityIri: again.id, status: "accepted" }]);
    expect(await commentsOf(alice)).toEqual([{ iri: note.noteId }]);
    expect((await countReactions(db(), video.id)).likes).toBe(1);
    // Both Follows were answered, at the stored inbox.
    const accepts = mastodon.deliveries.filter(
      (d) => d.body?.type === "Accept" && d.actorUsername === alice.username,
    );
    expect(accepts.map((d) => (d.body?.object as JsonObject | undefined)?.id)).toEqual([
      first.id,
      again.id,
    ]);
    expect(documentFetches(alice)).toBe(fetchedOnce);
    expect((await storedActor(alice))?.displayName).toBe("Alice");
  });

  test("Update{actor} still refreshes the row at once, and the next Follow is answered at the new inbox", async () => {
    haven.startWorkers();
    const uma = await mastodon.addActor("uma", { name: "Uma" });
    await send(uma, channel.inbox, follow(uma, channel.groupId));
    await inboxDrained(db(), EVERY_QUEUE);

    uma.name = "Uma, moved";
    uma.inbox = `${uma.id}/inbox2`;
    await send(uma, sharedInbox(), {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${uma.id}#updates/1`,
      type: "Update",
      actor: uma.id,
      to: [PUBLIC],
      object: uma.id,
    });
    await inboxDrained(db(), EVERY_QUEUE);
    const row = await storedActor(uma);
    expect([row?.displayName, row?.inboxUrl]).toEqual(["Uma, moved", `${uma.id}/inbox2`]);

    const again = follow(uma, channel.groupId);
    await send(uma, channel.inbox, again);
    const accept = await mastodon.waitForDelivery(
      (d) => d.body?.type === "Accept" && (d.body.object as JsonObject).id === again.id,
      { timeoutMs: 15_000 },
    );
    expect([accept.path, accept.actorUsername]).toEqual([new URL(uma.inbox).pathname, "uma"]);
  });
});

describe("a row older than a day", () => {
  test("is refreshed from the actor's document by its next Follow", async () => {
    haven.startWorkers();
    const olga = await mastodon.addActor("olga", { name: "Olga today" });
    await storeAs(olga, 25 * 60 * 60 * 1000, "Olga last year");
    const before = (await storedActor(olga))!.fetchedAt;
    const known = await introduce(olga);

    await send(olga, channel.inbox, follow(olga, channel.groupId));
    await inboxDrained(db(), EVERY_QUEUE);

    expect(documentFetches(olga)).toBe(known + 1);
    const row = await storedActor(olga);
    expect(row?.displayName).toBe("Olga today");
    expect(row!.fetchedAt.getTime()).toBeGreaterThan(before.getTime());
    expect(row?.raw?.id).toBe(olga.id); // the document as served
    expect(await followsOf(olga)).toHaveLength(1);
  });

  test("is refreshed by a reply too, but a Like only needs the row", async () => {
    haven.startWorkers();
    const pia = await mastodon.addActor("pia", { name: "Pia today" });
    await storeAs(pia, 25 * 60 * 60 * 1000, "Pia last year");
    const known = await introduce(pia);

    await send(pia, sharedInbox(), like(pia, noteOf(video)));
    await inboxDrained(db(), EVERY_QUEUE);
    expect((await countReactions(db(), video.id)).likes).toBe(2);
    expect(documentFetches(pia)).toBe(known);
    expect((await storedActor(pia))?.displayName).toBe("Pia last year");

    await send(pia, sharedInbox(), reply(pia).activity);
    await inboxDrained(db(), EVERY_QUEUE);
    expect(documentFetches(pia)).toBe(known + 1);
    expect((await storedActor(pia))?.displayName).toBe("Pia today");
    expect(await commentsOf(pia)).toHaveLength(1);
  });
});
