/**
 * Replies, likes and boosts coming back from Mastodon and PeerTube (INTEROP §3.4, §4.5;
 * SECURITY 14–16, 29–30, 41): a real Haven on loopback and fake instances that sign their
 * deliveries the way the real software does.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { countReactions } from "../../src/comments/reaction.service.ts";
import { queryRows } from "../../src/db/client.ts";
import { remoteActors, videoComments } from "../../src/db/schema/index.ts";
import { blockDomain } from "../../src/moderation/domain-blocks.service.ts";
import { purgeSuspendedDomain } from "../../src/moderation/purge.ts";
import { SYSTEM_ACTOR } from "../../src/moderation/types.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  like,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";
import { inboxDrained } from "./inbox-drained.ts";
import {
  commentByIri,
  mastodonDelete,
  mastodonReply,
  mastodonUpdate,
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
let ownerToken: string;
let approvalVideo: SupportVideo;
let openVideo: SupportVideo;
let closedVideo: SupportVideo;

const db = () => t.database.db;
const sharedInbox = () => `${haven.origin}/inbox`;
const noteOf = (v: SupportVideo) => `${haven.origin}/notes/${v.id}`;
const videoOf = (v: SupportVideo) => `${haven.origin}/videos/${v.id}`;
const mention = () => ({ id: channel.groupId, acct: `calm@${haven.host}` });

async function send(remote: FakeRemote, actor: FakeActor, activity: JsonObject, inbox?: string) {
  const res = await remote.send(actor, inbox ?? sharedInbox(), activity);
  expect(res.status).toBeLessThan(300);
}

const publicComments = async (v: SupportVideo) =>
  (await (await fetch(`${haven.origin}/api/v1/videos/${v.id}/comments`)).json()) as JsonObject[];
const watchPage = async (v: SupportVideo) =>
  (await fetch(`${haven.origin}/videos/${v.id}`, { headers: { Accept: "text/html" } })).text();
const api = (path: string, method = "GET") =>
  fetch(`${haven.origin}${path}`, { method, headers: { Authorization: `Bearer ${ownerToken}` } });

/** A bearer token through the real login endpoint. */
async function login(username: string): Promise<string> {
  const res = await fetch(`${haven.origin}/api/v1/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password: "correct horse battery" }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

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
    // A display name that would reverse the text after it (SECURITY #30).
    mastodon.addActor("carol", { name: "\u202Eadmin\u200B" }),
    peertube.addActor("bob"),
    evil.addActor("mallory"),
  ]);
  channel = await createTestChannel(haven, "host", "calm");
  ownerToken = await login("host");
  [approvalVideo, openVideo, closedVideo] = await Promise.all([
    publishVideo(
      haven,
      channel,
      { commentsPolicy: "approval", contentWarning: null },
      { event: false },
    ),
    publishVideo(
      haven,
      channel,
      { commentsPolicy: "open", contentWarning: null },
      { event: false },
    ),
    publishVideo(haven, channel, { commentsPolicy: "closed" }, { event: false }),
  ]);
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

describe("replies become comments", () => {
  test("a Mastodon reply to a video's Note on an approval channel is held, then approved", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(approvalVideo),
      mention: mention(),
      text: "this helped me tonight",
    });
    await send(mastodon, alice, reply, channel.inbox);
    const { comment, authorIri } = await waitForComment(db(), reply.object.id);
    expect(authorIri).toBe(alice.id);
    expect(comment).toMatchObject({
      videoId: approvalVideo.id,
      parentId: null,
      inReplyToIri: noteOf(approvalVideo),
      state: "held",
      summary: null,
      sensitive: false,
      language: "en",
      url: reply.object.url,
    });
    expect(comment.content).toBe(
      `<p><span class="h-card"><a href="${channel.groupId}" class="u-url mention" rel="nofollow noopener noreferrer" target="_blank">@<span>calm</span></a></span> this helped me tonight</p>`,
    );
    // The author was fetched from its origin and stored.
    const [author] = await db().select().from(remoteActors).where(eq(remoteActors.iri, alice.id));
    expect(author).toMatchObject({ displayName: "Alice", inboxUrl: alice.inbox });

    // Held: not public.
    expect(await publicComments(approvalVideo)).toEqual([]);
    expect(await watchPage(approvalVideo)).not.toContain("this helped me tonight");
    const held = (await (
      await api(`/api/v1/videos/${approvalVideo.id}/comments?state=held`)
    ).json()) as JsonObject[];
    expect(held.map((c) => c.uri)).toEqual([reply.object.id]);

    const approved = await api(`/api/v1/comments/${comment.id}/approve`, "POST");
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ id: comment.id, state: "visible" });

    const [shown] = await publicComments(approvalVideo);
    expect(shown).toMatchObject({
      id: comment.id,
      uri: reply.object.id,
      state: "visible",
      content: comment.content,
      account: { uri: alice.id, acct: `alice@${mastodon.domain}`, display_name: "Alice" },
    });
    const page = await watchPage(approvalVideo);
    expect(page).toContain("this helped me tonight");
    expect(page).toContain(`<bdi>Alice</bdi>`);
    expect(page).toContain(`@alice@${mastodon.domain}`);
  });

  test("on an open channel a reply is visible at once; a content warning is kept", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "same here",
      summary: "mentions <b>relapse</b>",
    });
    await send(mastodon, alice, reply);
    const { comment } = await waitForComment(db(), reply.object.id);
    expect(comment).toMatchObject({
      state: "visible",
      summary: "mentions relapse",
      sensitive: true,
    });
    const page = await watchPage(openVideo);
    expect(page).toMatch(/<details><summary><strong>Content warning:<\/strong> mentions relapse/);
  });

  test("a PeerTube comment replying to our Video id is stored; its Markdown is rendered, safely", async () => {
    // PeerTube 6.3 sends what its user typed: Markdown, `mediaType: text/markdown`.
    const comment = peertubeComment(bob, {
      inReplyTo: videoOf(openVideo),
      text:
        "Thanks for this <3\n\n**breathing** helps, see [the guide](https://guide.example/box)" +
        "<script>alert(1)</script>\n\n- slow *in*\n- hold <img src=x onerror=alert(2)>\n- out",
    });
    await send(peertube, bob, comment);
    const stored = await waitForComment(db(), comment.object.id);
    expect(stored.authorIri).toBe(bob.id);
    expect(stored.comment).toMatchObject({
      videoId: openVideo.id,
      state: "visible",
      inReplyToIri: videoOf(openVideo),
      content:
        "<p>Thanks for this &lt;3</p><p><strong>breathing</strong> helps, see " +
        '<a href="https://guide.example/box" rel="nofollow noopener noreferrer" target="_blank">the guide</a></p>' +
        "<ul><li>slow <em>in</em></li><li>hold</li><li>out</li></ul>",
    });
    const page = await watchPage(openVideo);
    expect(page).toContain("<strong>breathing</strong>");
    expect(page).toContain("<li>slow <em>in</em></li>");
    for (const bad of ["**breathing**", "alert(", "<script", "onerror", "- slow"]) {
      expect(page).not.toContain(bad);
    }
  });

  test("a reply to a stored comment joins its thread", async () => {
    const first = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "root",
    });
    await send(mastodon, alice, first);
    const root = await waitForComment(db(), first.object.id);
    const answer = mastodonReply(bob, {
      inReplyTo: first.object.id,
      mention: { id: alice.id, acct: alice.acct },
      text: "answer",
    });
    await send(peertube, bob, answer);
    const { comment } = await waitForComment(db(), answer.object.id);
    expect(comment).toMatchObject({ videoId: openVideo.id, parentId: root.comment.id });
  });

  test("silenced domain → held on an open channel; rejected domain and closed video → dropped", async () => {
    gate.set("127.0.0.2", { action: "silence" });
    const silenced = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "s",
    });
    await send(mastodon, alice, silenced);
    expect((await waitForComment(db(), silenced.object.id)).comment.state).toBe("held");

    gate.set("127.0.0.2", { action: "reject" });
    const rejected = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "r",
    });
    await mastodon.send(alice, sharedInbox(), rejected);
    await inboxDrained(db()); // decided while the gate still says reject
    gate.clear();
    const closed = mastodonReply(alice, {
      inReplyTo: noteOf(closedVideo),
      mention: mention(),
      text: "c",
    });
    await send(mastodon, alice, closed);
    const elsewhere = mastodonReply(alice, {
      inReplyTo: `${mastodon.origin}/users/carol/statuses/1`,
      mention: mention(),
      text: "not about us",
    });
    await send(mastodon, alice, elsewhere);
    await inboxDrained(db());
    for (const iri of [rejected.object.id, closed.object.id, elsewhere.object.id]) {
      expect(await commentByIri(db(), iri)).toBeNull();
    }
  });

  test("a Create giving only the Note's id: the Note is fetched from the author's server", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "by reference",
    });
    // Served the way Mastodon serves a status: a document of its own, with its @context.
    mastodon.serve({ "@context": reply["@context"], ...reply.object });
    await send(mastodon, alice, { ...reply, object: reply.object.id });
    const { comment } = await waitForComment(db(), reply.object.id);
    expect(comment.content).toContain("by reference");
    expect(mastodon.incomingRequests.map((r) => r.url)).toContain(reply.object.id);
  });

  test("a followers-only or direct reply is not stored: it was not meant for a public page", async () => {
    const followersOnly = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "followers only",
    });
    Object.assign(followersOnly.object, { to: [alice.followers], cc: [channel.groupId] });
    const direct = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "just to you",
    });
    Object.assign(direct.object, { to: [channel.groupId], cc: [] });
    for (const activity of [followersOnly, direct]) {
      await send(mastodon, alice, { ...activity, to: activity.object.to, cc: activity.object.cc });
    }
    await inboxDrained(db());
    expect(await commentByIri(db(), followersOnly.object.id)).toBeNull();
    expect(await commentByIri(db(), direct.object.id)).toBeNull();
  });

  test("20 concurrent deliveries of one reply to the shared and the personal inbox → one row", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "dup",
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mastodon.send(alice, i % 2 ? channel.inbox : sharedInbox(), reply),
      ),
    );
    for (const r of results) expect(r.status).toBeLessThan(300);
    await waitForComment(db(), reply.object.id);
    await inboxDrained(db());
    const rows = await db()
      .select({ id: videoComments.id })
      .from(videoComments)
      .where(eq(videoComments.iri, reply.object.id));
    expect(rows).toHaveLength(1);
  });
});

describe("origin and authorship (SECURITY 14–16)", () => {
  test("a Create from evil carrying a Note with an id on alice's host is not stored as hers", async () => {
    // The Note claims alice's host and authorship; alice's server does not have it (404).
    const forged = mastodonReply(mallory, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "forged words",
      note: { id: `${alice.id}/statuses/999001`, attributedTo: alice.id },
    });
    await send(evil, mallory, forged);
    // The same on evil's own host, still attributed to alice (evil serves it on re-fetch).
    const forgedOwnHost = mastodonReply(mallory, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "forged words",
      note: { attributedTo: alice.id },
    });
    await send(evil, mallory, forgedOwnHost);
    await inboxDrained(db());
    expect(await commentByIri(db(), `${alice.id}/statuses/999001`)).toBeNull();
    expect(await commentByIri(db(), forgedOwnHost.object.id)).toBeNull();
    const rows = await queryRows<{ n: number }>(
      db(),
      sql`SELECT count(*)::int AS n FROM video_comments WHERE content LIKE '%forged words%'`,
    );
    expect(rows[0]?.n).toBe(0);
    // Nothing was fetched from alice's server on the forger's behalf.
    expect(mastodon.incomingRequests.map((r) => r.url)).not.toContain(
      `${alice.id}/statuses/999001`,
    );
  });

  test("Update and Delete by someone else change nothing; the author's own do", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(approvalVideo),
      mention: mention(),
      text: "v1",
    });
    await send(mastodon, alice, reply);
    const { comment } = await waitForComment(db(), reply.object.id);
    expect((await api(`/api/v1/comments/${comment.id}/approve`, "POST")).status).toBe(200);

    const hijack = { ...reply.object, content: "<p>hijacked</p>", attributedTo: mallory.id };
    const ownId = (n: number) => ({ id: `${mallory.id}#updates/${n}` });
    await send(evil, mallory, { ...mastodonUpdate(mallory, hijack), ...ownId(1) });
    await send(evil, mallory, {
      ...mastodonUpdate(mallory, { ...hijack, attributedTo: alice.id }),
      ...ownId(2),
    });
    await send(evil, mallory, {
      ...mastodonDelete(mallory, reply.object.id),
      id: `${mallory.id}#delete/1`,
    });
    await inboxDrained(db());
    const untouched = await commentByIri(db(), reply.object.id);
    expect(untouched?.comment).toMatchObject({
      content: comment.content,
      editedAt: null,
      state: "visible",
    });

    // The author edits: re-sanitised, edited_at set, and (approval channel) held again.
    const edit = { ...reply.object, content: '<p>v2 <img src=x onerror="alert(1)"></p>' };
    await send(mastodon, alice, mastodonUpdate(alice, edit));
    await expect
      .poll(async () => (await commentByIri(db(), reply.object.id))?.comment.content)
      .toBe("<p>v2 </p>");
    const edited = (await commentByIri(db(), reply.object.id))!.comment;
    expect(edited.editedAt).toBeInstanceOf(Date);
    expect(edited.state).toBe("held");

    await send(mastodon, alice, mastodonDelete(alice, reply.object.id));
    await expect.poll(() => commentByIri(db(), reply.object.id)).toBeNull();
  });
});

/**
 * Fedify 2.3.6 drops an inbox activity as "already processed" by its id alone, and Mastodon's
 * ids are predictable (`<status>#delete`, `<like>/undo`): a junk activity sent first under the
 * author's next id would silence the author's real Delete or Undo. The inbox guard refuses an
 * activity whose id is not on its actor's server (SECURITY.md, "Origin").
 */
describe("activity ids on someone else's origin", () => {
  test("cannot shadow the author's own Delete", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "to be deleted",
    });
    await send(mastodon, alice, reply);
    await waitForComment(db(), reply.object.id);
    // mallory's junk under alice's next id is refused at the door…
    const squat = await evil.send(mallory, sharedInbox(), mastodonDelete(mallory, reply.object.id));
    expect(squat.status).toBe(400);
    await inboxDrained(db());
    await send(mastodon, alice, mastodonDelete(alice, reply.object.id));
    await expect.poll(() => commentByIri(db(), reply.object.id), { timeout: 15_000 }).toBeNull();
  });
});

describe("hostile content (SECURITY 29–30)", () => {
  test("XSS payloads are sanitised in what is stored, served as JSON and shown", async () => {
    const payload =
      '<p>hi<script>alert("s")</script><img src=x onerror="alert(1)"><a href="javascript:alert(2)">j</a>' +
      '<iframe src="https://evil.example/"></iframe><svg onload="alert(3)"></svg>' +
      '<span style="position:fixed" onmouseover="alert(4)">x</span> <a href="https://ok.example/">ok</a></p>';
    const reply = mastodonReply(carol, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "",
    });
    reply.object.content = payload;
    reply.object.contentMap = { en: payload };
    await send(mastodon, carol, reply);
    const { comment } = await waitForComment(db(), reply.object.id);
    expect(comment.content).toBe(
      '<p>hi<a rel="nofollow noopener noreferrer" target="_blank">j</a><span>x</span> <a href="https://ok.example/" rel="nofollow noopener noreferrer" target="_blank">ok</a></p>',
    );
    const json = (await publicComments(openVideo)).find((c) => c.uri === reply.object.id);
    expect(json?.content).toBe(comment.content);
    const page = await watchPage(openVideo);
    for (const bad of [
      "alert(",
      "javascript:",
      "<iframe",
      "<svg",
      "onerror",
      "onmouseover",
      "position:fixed",
    ]) {
      expect(page).not.toContain(bad);
    }
  });

  test("a display name with a right-to-left override is cleaned, isolated and shown with the handle", async () => {
    const page = await watchPage(openVideo);
    expect(page).not.toContain("\u202E");
    expect(page).not.toContain("\u200B");
    expect(page).toContain(
      `<bdi>admin</bdi> <bdi class="handle" dir="ltr">@carol@${mastodon.domain}</bdi>`,
    );
  });
});

describe("a suspended domain", () => {
  test("its comments and likes are purged with it", async () => {
    const reply = mastodonReply(mallory, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "m",
    });
    await send(evil, mallory, reply);
    await send(evil, mallory, like(mallory, noteOf(openVideo)));
    await waitForComment(db(), reply.object.id);
    await inboxDrained(db());
    const before = await countReactions(db(), openVideo.id);

    const blocked = await blockDomain(
      db(),
      { domain: "127.0.0.4", severity: "suspend" },
      SYSTEM_ACTOR,
    );
    expect(blocked.ok).toBe(true);
    const purged = await purgeSuspendedDomain(db(), "127.0.0.4");
    expect(purged).toMatchObject({
      ok: true,
      value: { removed: { video_comments: 1, video_reactions: 1 } },
    });
    expect(await commentByIri(db(), reply.object.id)).toBeNull();
    expect((await countReactions(db(), openVideo.id)).likes).toBe(before.likes - 1);
    // Others' comments stay.
    const left = await queryRows<{ n: number }>(
      db(),
      sql`SELECT count(*)::int AS n FROM video_comments c JOIN remote_actors ra ON ra.id = c.author_id WHERE ra.domain = '127.0.0.2'`,
    );
    expect(left[0]?.n).toBeGreaterThan(0);
  });
});
