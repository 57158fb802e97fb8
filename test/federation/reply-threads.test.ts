/**
 * Replies whose parent Haven never received (PeerTube sends every comment on our video, Mastodon
 * only to those mentioned): the missing parents are fetched from their origin, up to
 * MAX_FETCHED_ANCESTORS, through the checked fetcher and the moderation policy, and stored only
 * when the chain ends at one of our videos. Fake Mastodon and PeerTube servers serve the parents.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { MAX_FETCHED_ANCESTORS, resolveReplyThread } from "../../federation/inbox/reply-thread.ts";
import { remoteActors } from "../../src/db/schema/index.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";
import { inboxDrained } from "./inbox-drained.ts";
import {
  commentByIri,
  MASTODON_CONTEXT,
  mastodonReply,
  peertubeComment,
  TestModerationGate,
  waitForComment,
} from "./interaction-rig.ts";

let t: TestDatabase;
let haven: TestHaven;
const gate = new TestModerationGate();
let mastodon: FakeRemote;
let peertube: FakeRemote;
let evil: FakeRemote;
let alice: FakeActor;
let carol: FakeActor;
let bob: FakeActor;
let mallory: FakeActor;
let channel: TestChannel;
let openVideo: SupportVideo;

const db = () => t.database.db;
const noteOf = (v: SupportVideo) => `${haven.origin}/notes/${v.id}`;
const videoOf = (v: SupportVideo) => `${haven.origin}/videos/${v.id}`;
const mention = () => ({ id: channel.groupId, acct: `calm@${haven.host}` });

/** A Mastodon status that exists on its server but was never delivered to us. */
function servedStatus(remote: FakeRemote, actor: FakeActor, inReplyTo: string | null) {
  const note = mastodonReply(actor, {
    inReplyTo: inReplyTo ?? "",
    mention: { id: actor.id, acct: actor.acct },
    text: `said by ${actor.username}`,
    note: { inReplyTo },
  }).object;
  remote.serve({ "@context": MASTODON_CONTEXT, ...note });
  return note.id;
}

/** bob on PeerTube answers `parent`; delivered to our shared inbox as PeerTube does. */
async function bobReplies(parent: string, text = "answer") {
  const comment = peertubeComment(bob, { inReplyTo: parent, text });
  const res = await peertube.send(bob, `${haven.origin}/inbox`, comment);
  expect(res.status).toBeLessThan(300);
  return comment.object.id;
}

const fetchedFrom = (remote: FakeRemote, iri: string) =>
  remote.incomingRequests.filter((r) => r.method === "GET" && r.url === iri).length;

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, peertube, evil] = await Promise.all([
    startHaven(t.database, { overrides: { moderation: gate } }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.4" }),
  ]);
  [alice, carol, bob, mallory] = await Promise.all([
    mastodon.addActor("alice", { name: "Alice" }),
    mastodon.addActor("carol", { name: "Carol" }),
    peertube.addActor("bob"),
    evil.addActor("mallory"),
  ]);
  channel = await createTestChannel(haven, "host", "calm");
  openVideo = await publishVideo(
    haven,
    channel,
    { commentsPolicy: "open", contentWarning: null },
    { event: false },
  );
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), peertube?.close(), evil?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
  gate.clear();
});

describe("a reply to a comment we never received", () => {
  test("the parent is fetched, stored under our video with its author, and the reply threads under it", async () => {
    const parent = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "what helps you at night?",
    }).object;
    mastodon.serve({ "@context": MASTODON_CONTEXT, ...parent });

    const reply = await bobReplies(parent.id, "**counting** breaths");
    const stored = await waitForComment(db(), reply);
    const fetched = await commentByIri(db(), parent.id);
    expect(fetched?.authorIri).toBe(alice.id);
    expect(fetched?.comment).toMatchObject({
      videoId: openVideo.id,
      parentId: null,
      inReplyToIri: noteOf(openVideo),
      state: "visible",
      language: "en",
    });
    expect(fetched?.comment.content).toContain("what helps you at night?");
    expect(stored.comment).toMatchObject({
      videoId: openVideo.id,
      parentId: fetched?.comment.id,
      inReplyToIri: parent.id,
      content: "<p><strong>counting</strong> breaths</p>",
    });
    // The parent's author was resolved from its origin like a reply's.
    const [author] = await db().select().from(remoteActors).where(eq(remoteActors.iri, alice.id));
    expect(author?.displayName).toBe("Alice");
    expect(fetchedFrom(mastodon, parent.id)).toBe(1);
  });

  test("fetched parents go through the comment policy: a silenced domain's are held", async () => {
    gate.set("127.0.0.2", { action: "silence" });
    const first = servedStatus(mastodon, alice, videoOf(openVideo));
    const second = servedStatus(mastodon, carol, first);
    const reply = await bobReplies(second);
    const stored = await waitForComment(db(), reply);
    const [a, b] = await Promise.all([commentByIri(db(), first), commentByIri(db(), second)]);
    expect(a?.comment).toMatchObject({ parentId: null, state: "held", videoId: openVideo.id });
    expect(b?.comment).toMatchObject({ parentId: a?.comment.id, state: "held" });
    expect(b?.authorIri).toBe(carol.id);
    // bob's own domain is not silenced: his reply is visible at once.
    expect(stored.comment).toMatchObject({ parentId: b?.comment.id, state: "visible" });
  });

  test(`at most ${MAX_FETCHED_ANCESTORS} missing parents are fetched; a deeper chain is not stored`, async () => {
    const chain: string[] = [];
    let above = noteOf(openVideo);
    for (let i = 0; i <= MAX_FETCHED_ANCESTORS; i++) {
      above = servedStatus(mastodon, i % 2 ? carol : alice, above);
      chain.push(above);
    }
    // One too many: the chain's top is never asked for, nothing is stored.
    const tooDeep = await bobReplies(chain.at(-1)!);
    await inboxDrained(db());
    expect(await commentByIri(db(), tooDeep)).toBeNull();
    for (const iri of chain) expect(await commentByIri(db(), iri)).toBeNull();
    expect(fetchedFrom(mastodon, chain[0]!)).toBe(0);
    expect(chain.slice(1).map((iri) => fetchedFrom(mastodon, iri))).toEqual(
      Array(MAX_FETCHED_ANCESTORS).fill(1),
    );

    // Exactly the bound: all of it is stored, threaded top-down.
    const deepest = await bobReplies(chain.at(-2)!);
    const stored = await waitForComment(db(), deepest);
    let parentId: string | null = null;
    for (const iri of chain.slice(0, -1)) {
      const row = await commentByIri(db(), iri);
      expect(row?.comment.parentId).toBe(parentId);
      parentId = row?.comment.id ?? null;
    }
    expect(stored.comment.parentId).toBe(parentId);
  });

  test("a chain that never reaches one of our videos is not stored", async () => {
    const root = servedStatus(mastodon, carol, null);
    const middle = servedStatus(mastodon, alice, root);
    const reply = await bobReplies(middle);
    await inboxDrained(db());
    for (const iri of [root, middle, reply]) expect(await commentByIri(db(), iri)).toBeNull();
    // Walked to its end (a root replying to nothing), not given up on unseen.
    expect([fetchedFrom(mastodon, middle), fetchedFrom(mastodon, root)]).toEqual([1, 1]);
  });

  test("a loop of parents, or a reply to itself, ends: each fetched once, nothing stored", async () => {
    const a = `${alice.id}/statuses/loop-a`;
    const b = `${carol.id}/statuses/loop-b`;
    const loopNote = (id: string, actor: FakeActor, inReplyTo: string): JsonObject => ({
      ...mastodonReply(actor, { inReplyTo, mention: mention(), text: "loop" }).object,
      id,
      inReplyTo,
    });
    mastodon.serve({ "@context": MASTODON_CONTEXT, ...loopNote(a, alice, b) });
    mastodon.serve({ "@context": MASTODON_CONTEXT, ...loopNote(b, carol, a) });
    const intoLoop = await bobReplies(a);

    const self = peertubeComment(bob, { inReplyTo: "", text: "me" });
    self.object.inReplyTo = self.object.id;
    expect((await peertube.send(bob, `${haven.origin}/inbox`, self)).status).toBeLessThan(300);

    await inboxDrained(db());
    for (const iri of [a, b, intoLoop, self.object.id]) {
      expect(await commentByIri(db(), iri)).toBeNull();
    }
    expect([fetchedFrom(mastodon, a), fetchedFrom(mastodon, b)]).toEqual([1, 1]);
    expect(fetchedFrom(peertube, self.object.id)).toBe(0);
  });

  test("a parent on a blocked domain is not fetched, and the reply is dropped", async () => {
    const parent = servedStatus(evil, mallory, noteOf(openVideo));
    gate.set("127.0.0.4", { action: "reject" });
    const reply = await bobReplies(parent);
    await inboxDrained(db());
    expect(await commentByIri(db(), reply)).toBeNull();
    expect(await commentByIri(db(), parent)).toBeNull();
    expect(evil.incomingRequests).toEqual([]);

    // The same thread once the domain is no longer blocked.
    gate.clear();
    const again = await bobReplies(parent);
    expect((await waitForComment(db(), again)).comment.parentId).toBe(
      (await commentByIri(db(), parent))?.comment.id,
    );
    expect(fetchedFrom(evil, parent)).toBe(1);
  });

  test("a parent by a blocked account ends the thread: nothing of it is kept", async () => {
    const parent = servedStatus(mastodon, carol, noteOf(openVideo));
    const blockCarol = {
      async decideForDomain(host: string) {
        return gate.decideForDomain(host);
      },
      async decideForActor(iri: string) {
        if (iri === carol.id)
          return { action: "reject" as const, rejectMedia: false, rejectReports: false };
        return gate.decideForActor(iri);
      },
    };
    const ctx = haven.deps.federation.createContext(new URL(haven.origin), {
      ...haven.deps.contextData,
      moderation: blockCarol,
    });
    const thread = await resolveReplyThread(ctx, {
      iri: `${bob.id}/comments/blocked-parent`,
      inReplyTo: new URL(parent),
    });
    expect(thread).toBeNull();
    expect(await commentByIri(db(), parent)).toBeNull();
  });
});

describe("the checked way out (ADR 0002)", () => {
  let closed: TestHaven;
  beforeAll(async () => {
    // A Haven that, like production, refuses private addresses; it only resolves threads here.
    closed = await startHaven(t.database, {
      env: { ALLOW_PRIVATE_ADDRESS: "false" },
      overrides: { moderation: gate },
      workers: false,
    });
  });
  afterAll(() => closed?.close());

  test("a parent on a private address is not fetched", async () => {
    const parent = servedStatus(mastodon, alice, noteOf(openVideo));
    const ctx = closed.deps.federation.createContext(
      new URL(closed.origin),
      closed.deps.contextData,
    );
    const thread = await resolveReplyThread(ctx, {
      iri: "https://peertube.example/videos/watch/1/comments/2",
      inReplyTo: new URL(parent),
    });
    expect(thread).toBeNull();
    expect(fetchedFrom(mastodon, parent)).toBe(0);
  });
});
