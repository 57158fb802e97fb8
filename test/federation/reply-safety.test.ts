/**
 * Community safety on the reply path: replies from Mastodon and PeerTube held for a human by
 * default (with why), trusted accounts straight through, watched words however they are
 * spelled, lockdown, and a Delete that overtakes its Create. A real Haven on loopback, fake
 * instances that sign their deliveries as the real software does.
 */
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { follows, moderationAuditLog, remoteActors } from "../../src/db/schema/index.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  follow,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";
import { inboxDrained } from "./inbox-drained.ts";
import {
  commentByIri,
  mastodonDelete,
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
let alice: FakeActor;
let dave: FakeActor;
let erin: FakeActor;
let bob: FakeActor;
let channel: TestChannel;
let ownerToken: string;
let adminToken: string;
let strangerToken: string;
let approvalVideo: SupportVideo;
let openVideo: SupportVideo;

const db = () => t.database.db;
const sharedInbox = () => `${haven.origin}/inbox`;
const noteOf = (v: SupportVideo) => `${haven.origin}/notes/${v.id}`;
const videoOf = (v: SupportVideo) => `${haven.origin}/videos/${v.id}`;
const mention = () => ({ id: channel.groupId, acct: `calm@${haven.host}` });

async function send(remote: FakeRemote, actor: FakeActor, activity: JsonObject) {
  const res = await remote.send(actor, sharedInbox(), activity);
  expect(res.status).toBeLessThan(300);
}

async function api(method: string, path: string, token: string | null, given?: unknown) {
  const body = method === "GET" ? undefined : given;
  const res = await fetch(`${haven.origin}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The moderation queue as a channel manager sees it. */
async function heldQueue(v: SupportVideo): Promise<JsonObject[]> {
  const res = await api("GET", `/api/v1/videos/${v.id}/comments?state=held`, ownerToken);
  expect(res.status).toBe(200);
  return res.body as JsonObject[];
}

async function login(username: string): Promise<string> {
  const res = await api("POST", "/api/v1/auth/token", null, {
    username,
    password: "correct horse battery",
  });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, peertube] = await Promise.all([
    startHaven(t.database, { overrides: { moderation: gate } }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
  ]);
  [alice, dave, erin, bob] = await Promise.all([
    mastodon.addActor("alice", { name: "Alice" }),
    mastodon.addActor("dave", { name: "Dave" }),
    mastodon.addActor("erin", { name: "Erin" }),
    peertube.addActor("bob"),
  ]);
  channel = await createTestChannel(haven, "host", "calm");
  ownerToken = await login("host");
  ({ token: adminToken } = await haven.createUser("ada", { admin: true }));
  ({ token: strangerToken } = await haven.createUser("stranger"));
  [approvalVideo, openVideo] = await Promise.all([
    publishVideo(haven, channel, { commentsPolicy: "approval" }, { event: false }),
    publishVideo(haven, channel, { commentsPolicy: "open" }, { event: false }),
  ]);
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), peertube?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
  gate.clear();
});

describe("held by default, trusted accounts straight through", () => {
  test("a stranger's Mastodon reply and PeerTube comment are held with held_reason policy", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(approvalVideo),
      mention: mention(),
      text: "hello there",
    });
    const comment = peertubeComment(bob, { inReplyTo: videoOf(approvalVideo), text: "hi" });
    await send(mastodon, alice, reply);
    await send(peertube, bob, comment);
    for (const iri of [reply.object.id, comment.object.id]) {
      expect((await waitForComment(db(), iri)).comment.state).toBe("held");
    }
    const queue = await heldQueue(approvalVideo);
    for (const iri of [reply.object.id, comment.object.id]) {
      expect(queue.find((c) => c.uri === iri)).toMatchObject({
        held_reason: "policy",
        held_word: null,
      });
    }
  });

  test("an account the channel trusts (added by user@host through WebFinger) goes straight through", async () => {
    const added = await api("POST", "/api/v1/channels/calm/trusted_accounts", ownerToken, {
      account: dave.acct,
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ actor_id: dave.id, acct: dave.acct });
    const list = await api("GET", "/api/v1/channels/calm/trusted_accounts", ownerToken);
    expect(list.body.map((x: JsonObject) => x.actor_id)).toEqual([dave.id]);

    const reply = mastodonReply(dave, {
      inReplyTo: noteOf(approvalVideo),
      mention: mention(),
      text: "you are doing great",
    });
    await send(mastodon, dave, reply);
    const stored = await waitForComment(db(), reply.object.id);
    expect(stored.comment.state).toBe("visible");
    expect(stored.comment.heldReason).toBeNull();

    // Removed from the list: the next reply waits again.
    const gone = await api(
      "DELETE",
      `/api/v1/channels/calm/trusted_accounts/${added.body.id}`,
      ownerToken,
    );
    expect(gone.status).toBe(204);
    const later = mastodonReply(dave, {
      inReplyTo: noteOf(approvalVideo),
      mention: mention(),
      text: "again",
    });
    await send(mastodon, dave, later);
    expect((await waitForComment(db(), later.object.id)).comment.state).toBe("held");
  });

  test("a silenced domain's reply on an open video is held as silenced_domain", async () => {
    gate.set("127.0.0.2", { action: "silence" });
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "quiet",
    });
    await send(mastodon, alice, reply);
    expect((await waitForComment(db(), reply.object.id)).comment.heldReason).toBe(
      "silenced_domain",
    );
  });
});

describe("watched words", () => {
  test("look-alike letters, hidden joins and phrases are caught; the word is shown, nobody is messaged", async () => {
    for (const word of ["hopeless", "end it all", "pills"]) {
      const res = await api("POST", "/api/v1/admin/watched_words", adminToken, { word });
      expect(res.status).toBe(201);
      expect(res.body.word).toBe(word);
    }
    // The same word in another spelling is the same entry.
    expect(
      (await api("POST", "/api/v1/admin/watched_words", adminToken, { word: "ＨＯＰＥＬＥＳＳ" }))
        .status,
    ).toBe(409);

    // Fullwidth letters (NFKC makes them plain) in the text.
    const fullwidth = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "I feel ｈｏｐｅｌｅｓｓ today",
    });
    // Zero-width space and joiner inside a phrase split across markup, in the content warning.
    const hidden = mastodonReply(erin, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "just a note",
      summary: "<b>en\u200Bd</b> it\u200D all",
    });
    // Only the media description (alt text) says it.
    const alt = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "look",
      note: {
        attachment: [
          {
            type: "Document",
            mediaType: "image/png",
            url: `${alice.origin}/media/1.png`,
            name: "a handful of PILLS",
          },
        ],
      },
    });
    // PeerTube Markdown, word with a soft hyphen in it.
    const pt = peertubeComment(bob, { inReplyTo: videoOf(openVideo), text: "so hope\u00ADless" });
    // Word boundaries: "hopelessness" and "spills" are other words.
    const innocent = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "hopelessness fades; nobody spills tea",
    });
    await send(mastodon, alice, fullwidth);
    await send(mastodon, erin, hidden);
    await send(mastodon, alice, alt);
    await send(peertube, bob, pt);
    await send(mastodon, alice, innocent);

    const expected: [string, string][] = [
      [fullwidth.object.id, "hopeless"],
      [hidden.object.id, "end it all"],
      [alt.object.id, "pills"],
      [pt.object.id, "hopeless"],
    ];
    for (const [iri] of expected) await waitForComment(db(), iri);
    const queue = await heldQueue(openVideo);
    for (const [iri, word] of expected) {
      expect(queue.find((c) => c.uri === iri)).toMatchObject({
        state: "held",
        held_reason: "watched_word",
        held_word: word,
      });
    }
    expect((await waitForComment(db(), innocent.object.id)).comment.state).toBe("visible");
    // The public never sees why something was held.
    const pub = await api("GET", `/api/v1/videos/${openVideo.id}/comments`, null);
    expect(pub.body.every((c: JsonObject) => c.held_word === null)).toBe(true);

    // Nothing was sent to anyone because of a word: no delivery to the authors' servers.
    await inboxDrained(db(), ["inbox", "events", "outbox", "fanout"]);
    const sentToAuthors = [...mastodon.deliveries, ...peertube.deliveries].filter(
      (d) => d.body?.type === "Create",
    );
    expect(sentToAuthors).toEqual([]);
  });
});

describe("lockdown", () => {
  test("holds every new reply, makes follows pending, and both edges are in the audit log", async () => {
    const started = await api("POST", "/api/v1/admin/lockdown", adminToken, {});
    expect(started.status).toBe(201);
    expect(started.body.channel).toBeNull();
    const hours = (Date.parse(started.body.until) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);
    const listed = await api("GET", "/api/v1/admin/lockdown", adminToken);
    expect(listed.body.map((l: JsonObject) => l.id)).toContain(started.body.id);

    // Trusted or not, on an open video: held.
    await api("POST", "/api/v1/channels/calm/trusted_accounts", ownerToken, {
      actor_id: dave.id,
    });
    const reply = mastodonReply(dave, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "raid incoming",
    });
    await send(mastodon, dave, reply);
    expect((await waitForComment(db(), reply.object.id)).comment).toMatchObject({
      state: "held",
      heldReason: "lockdown",
    });

    const activity = follow(erin, channel.groupId);
    expect((await mastodon.send(erin, channel.inbox, activity)).status).toBeLessThan(300);
    await expect.poll(() => followStatus(erin), { timeout: 15_000 }).toBe("pending");

    const ended = await api("DELETE", `/api/v1/admin/lockdown/${started.body.id}`, adminToken);
    expect(ended.status).toBe(204);
    expect((await api("GET", "/api/v1/admin/lockdown", adminToken)).body).toEqual([]);
    const after = mastodonReply(dave, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "all calm",
    });
    await send(mastodon, dave, after);
    expect((await waitForComment(db(), after.object.id)).comment.state).toBe("visible");
    expect(await auditActions(started.body.id)).toEqual(["lockdown.start", "lockdown.end"]);
  });

  test("a channel's own lockdown: its managers only; its end is recorded once when it runs out", async () => {
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const refused = await api("POST", "/api/v1/channels/calm/lockdown", strangerToken, { until });
    expect(refused.status).toBe(403);
    const started = await api("POST", "/api/v1/channels/calm/lockdown", ownerToken, { until });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ channel: "calm", until });

    // Time passes: the lockdown runs out (moved into the past rather than waiting an hour).
    await db().execute(
      sql`UPDATE lockdowns SET until = now() - interval '1 second' WHERE id = ${started.body.id}`,
    );
    // Several processes checking at once record its end exactly once.
    await Promise.all(
      Array.from({ length: 5 }, () => api("GET", "/api/v1/admin/lockdown", adminToken)),
    );
    expect(await auditActions(started.body.id)).toEqual(["lockdown.start", "lockdown.end"]);
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "after the lockdown",
    });
    await send(mastodon, alice, reply);
    expect((await waitForComment(db(), reply.object.id)).comment.state).toBe("visible");
  });
});

describe("the policy, published", () => {
  test("the Note carries GoToSocial's interactionPolicy: approval for the public, open for all", async () => {
    const noteJson = async (v: SupportVideo) => {
      const res = await fetch(noteOf(v), { headers: { Accept: "application/activity+json" } });
      expect(res.status).toBe(200);
      return (await res.json()) as JsonObject;
    };
    const approval = await noteJson(approvalVideo);
    const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
    expect(approval.interactionPolicy).toMatchObject({
      canReply: {
        automaticApproval: [channel.groupId],
        manualApproval: [PUBLIC],
        always: [channel.groupId],
        approvalRequired: [PUBLIC],
      },
      canLike: { automaticApproval: [PUBLIC] },
    });
    const context = approval["@context"] as unknown[];
    expect(context.at(-1)).toMatchObject({
      gts: "https://gotosocial.org/ns#",
      interactionPolicy: { "@id": "gts:interactionPolicy", "@type": "@id" },
    });
    expect(((await noteJson(openVideo)).interactionPolicy as JsonObject).canReply).toMatchObject({
      automaticApproval: [PUBLIC],
      manualApproval: [],
    });
  });
});

describe("out of order", () => {
  test("a Delete that arrives before its Create wins: the reply is never shown", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "sent then deleted",
    });
    await send(mastodon, alice, mastodonDelete(alice, reply.object.id));
    await inboxDrained(db());
    await send(mastodon, alice, reply);
    await inboxDrained(db());
    expect(await commentByIri(db(), reply.object.id)).toBeNull();
  });

  test("someone else's Delete does not stop the author's reply", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(openVideo),
      mention: mention(),
      text: "mine",
    });
    await send(mastodon, erin, mastodonDelete(erin, reply.object.id));
    await inboxDrained(db());
    await send(mastodon, alice, reply);
    expect((await waitForComment(db(), reply.object.id)).comment.state).toBe("visible");
  });
});

describe("permissions", () => {
  test("admins only for watched words and instance lockdown; managers only for a channel's lists", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/admin/watched_words"],
      ["POST", "/api/v1/admin/watched_words"],
      ["DELETE", "/api/v1/admin/watched_words/00000000-0000-4000-8000-000000000000"],
      ["GET", "/api/v1/admin/lockdown"],
      ["POST", "/api/v1/admin/lockdown"],
      ["DELETE", "/api/v1/admin/lockdown/00000000-0000-4000-8000-000000000000"],
    ] as const) {
      expect((await api(method, path, null, { word: "x" })).status).toBe(401);
      expect((await api(method, path, ownerToken, { word: "x" })).status).toBe(403);
    }
    for (const [method, path] of [
      ["GET", "/api/v1/channels/calm/trusted_accounts"],
      ["POST", "/api/v1/channels/calm/trusted_accounts"],
      ["POST", "/api/v1/channels/calm/lockdown"],
    ] as const) {
      expect((await api(method, path, null, { actor_id: alice.id })).status).toBe(401);
      expect((await api(method, path, strangerToken, { actor_id: alice.id })).status).toBe(403);
    }
    expect(
      (
        await api("PATCH", "/api/v1/channels/calm", strangerToken, {
          default_comments_policy: "open",
        })
      ).status,
    ).toBe(403);
  });

  test("bad input: precise status and message, nothing stored", async () => {
    const empty = await api("POST", "/api/v1/admin/watched_words", adminToken, { word: " -- " });
    expect(empty).toMatchObject({ status: 422 });
    expect(empty.body.error).toMatch(/letter or digit/);
    const past = await api("POST", "/api/v1/admin/lockdown", adminToken, {
      until: "2001-01-01T00:00:00Z",
    });
    expect(past).toMatchObject({ status: 422, body: { error: "until must be in the future" } });
    const badAcct = await api("POST", "/api/v1/channels/calm/trusted_accounts", ownerToken, {
      account: "not an account",
    });
    expect(badAcct.status).toBe(422);
    const policy = await api("PATCH", "/api/v1/channels/calm", ownerToken, {
      default_comments_policy: "sometimes",
    });
    expect(policy.status).toBe(400);
    expect((await api("GET", "/api/v1/channels/calm", null)).body.default_comments_policy).toBe(
      "approval",
    );
  });
});

async function followStatus(actor: FakeActor): Promise<string | null> {
  const [row] = await db()
    .select({ status: follows.status })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(and(eq(remoteActors.iri, actor.id)));
  return row?.status ?? null;
}

async function auditActions(target: string): Promise<string[]> {
  const rows = await db()
    .select({ action: moderationAuditLog.action })
    .from(moderationAuditLog)
    .where(eq(moderationAuditLog.target, target))
    .orderBy(moderationAuditLog.id);
  return rows.map((r) => r.action);
}
