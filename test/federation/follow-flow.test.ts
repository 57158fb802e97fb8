/**
 * The follow flow end to end (INTEROP.md §3.1, §3.2): a real Haven on 127.0.0.1 and fake Mastodon
 * and PeerTube instances that resolve, fetch, sign and verify with the rig's own (non-Fedify)
 * implementation.
 */
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { findChannel, updateChannel } from "../../src/channels/channel.service.ts";
import { follows, remoteActors } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type Delivery,
  type FakeActor,
  type FakeRemote,
  follow,
  type JsonObject,
  PUBLIC,
  startFakeRemote,
  undo,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { inboxDrained } from "./inbox-drained.ts";

let t: TestDatabase;
let haven: TestHaven;
let owner: { token: string; accountId: string };
let mastodon: FakeRemote;
let peertube: FakeRemote;
let alice: FakeActor; // Mastodon user
let carol: FakeActor; // Mastodon user
let dave: FakeActor; // Mastodon user
let bob: FakeActor; // PeerTube user

const api = (path: string, init: RequestInit & { token?: string } = {}) => {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${init.token ?? owner.token}`);
  if (init.body && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return fetch(`${haven.origin}${path}`, { ...init, headers });
};

async function createChannel(name: string, extra: JsonObject = {}): Promise<void> {
  const res = await api("/api/v1/channels", {
    method: "POST",
    body: JSON.stringify({ name, ...extra }),
  });
  expect(res.status).toBe(201);
}

interface FollowerJson {
  id: string;
  actor_id: string;
  status: string;
}
async function listOf(channel: string, what: "followers" | "follow_requests") {
  const res = await api(`/api/v1/channels/${channel}/${what}`);
  expect(res.status).toBe(200);
  return (await res.json()) as FollowerJson[];
}

/** Accepts/Rejects a remote received whose embedded Follow has this id. */
const answersTo = (remote: FakeRemote, type: "Accept" | "Reject", followId: string) =>
  remote.deliveries.filter(
    (d) => d.body?.type === type && (d.body.object as JsonObject | undefined)?.id === followId,
  );
const waitForAnswer = (remote: FakeRemote, type: "Accept" | "Reject", followId: string) =>
  remote.waitForDelivery(
    (d) => d.body?.type === type && (d.body.object as JsonObject | undefined)?.id === followId,
  );

async function followRows(channel: string) {
  const rows = await t.database.db
    .select({ iri: remoteActors.iri, status: follows.status })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId));
  return { channel, rows };
}

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, peertube] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
  ]);
  owner = await haven.createUser("creator");
  [alice, carol, dave, bob] = await Promise.all([
    mastodon.addActor("alice", { name: "Alice" }),
    mastodon.addActor("carol"),
    mastodon.addActor("dave"),
    peertube.addActor("bob"),
  ]);
  await createChannel("channel", { display_name: "Support channel" });
  await createChannel("gated", { manually_approves_followers: true });
  await createChannel("tube");
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), peertube?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("a Mastodon user follows a channel", () => {
  let group: JsonObject;

  test("WebFinger (with Mastodon's loop-back check) finds the Group, shaped per INTEROP §4.2", async () => {
    group = await mastodon.resolveWebFinger(`channel@${haven.host}`, haven.origin);
    const id = `${haven.origin}/users/channel`;
    const ownerId = `${haven.origin}/users/creator`;
    expect(group).toMatchObject({
      id,
      type: "Group",
      preferredUsername: "channel",
      name: "Support channel",
      inbox: `${id}/inbox`,
      endpoints: { sharedInbox: `${haven.origin}/inbox` },
      attributedTo: [{ type: "Person", id: ownerId }],
      // A plain string: PeerTube 6.x refuses an actor whose `url` is an array of Links.
      url: `${haven.origin}/@channel`,
    });
    for (const key of ["followers", "outbox", "following"]) {
      expect(new URL(String(group[key])).origin).toBe(haven.origin);
    }
    // One key object, not an array; SPKI PEM; owned by the Group.
    const key = group.publicKey as JsonObject;
    expect(Array.isArray(key)).toBe(false);
    expect(key).toMatchObject({ id: `${id}#main-key`, owner: id });
    expect(String(key.publicKeyPem)).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  test("Follow → signed Accept embedding the Follow; listed as follower; Undo removes it", async () => {
    const activity = follow(alice, `${haven.origin}/users/channel`);
    const res = await mastodon.send("alice", `${haven.origin}/users/channel/inbox`, activity);
    expect(res.status).toBe(202);

    const accept = await waitForAnswer(mastodon, "Accept", activity.id);
    expect(accept).toMatchObject({
      verified: true,
      inbox: "personal",
      actorUsername: "alice",
      signer: {
        keyId: `${haven.origin}/users/channel#main-key`,
        owner: `${haven.origin}/users/channel`,
      },
    });
    expect(accept.body).toMatchObject({
      "@context": expect.anything(),
      type: "Accept",
      actor: `${haven.origin}/users/channel`,
      object: { type: "Follow", id: activity.id, actor: alice.id },
    });
    // Its own id, on our host (Mastodon ignores an Accept whose id is elsewhere).
    expect(new URL(String(accept.body?.id)).origin).toBe(haven.origin);
    const echoed = accept.body?.object as JsonObject;
    expect(echoed.object).toBe(`${haven.origin}/users/channel`);

    const followers = await listOf("channel", "followers");
    expect(followers.map((f) => f.actor_id)).toEqual([alice.id]);
    expect(followers[0]?.status).toBe("accepted");

    // The identical delivery again (a replay or a sender's retry): one follower, nothing new.
    // Fedify remembers processed activity ids for a day (SECURITY #6), so no second Accept.
    const again = await mastodon.send("alice", `${haven.origin}/inbox`, activity);
    expect(again.status).toBe(202);
    const undoneAt = new Date();
    const unfollow = await mastodon.send("alice", `${haven.origin}/inbox`, undo(alice, activity), {
      date: undoneAt,
    });
    expect(unfollow.status).toBe(202);
    await expect.poll(async () => (await listOf("channel", "followers")).length).toBe(0);
    expect(answersTo(mastodon, "Accept", activity.id)).toHaveLength(1);

    // Following again with the same Follow id (Misskey's ids are deterministic) → Accept again,
    // as the request is signed after the Undo (signature times count in whole seconds).
    const refollow = await mastodon.send("alice", `${haven.origin}/users/channel/inbox`, activity, {
      date: new Date(undoneAt.getTime() + 1000),
    });
    expect(refollow.status).toBe(202);
    await expect
      .poll(() => answersTo(mastodon, "Accept", activity.id).length, { timeout: 5_000 })
      .toBe(2);
    expect((await listOf("channel", "followers")).map((f) => f.actor_id)).toEqual([alice.id]);

    // A fresh Follow id while already following → answered with an Accept, still one row.
    const fresh = follow(alice, `${haven.origin}/users/channel`);
    expect((await mastodon.send("alice", `${haven.origin}/inbox`, fresh)).status).toBe(202);
    await waitForAnswer(mastodon, "Accept", fresh.id);
    expect((await listOf("channel", "followers")).map((f) => f.actor_id)).toEqual([alice.id]);
  });
});

describe("a follower that blocks the channel", () => {
  test("Block removes the blocker's follow; a Block by someone else changes nothing", async () => {
    await createChannel("blocked");
    const channelId = `${haven.origin}/users/blocked`;
    const block = (by: FakeActor, object: string) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${by.origin}/blocks/${crypto.randomUUID()}`,
      type: "Block",
      actor: by.id,
      object,
    });
    const followed = follow(carol, channelId);
    expect((await mastodon.send("carol", `${channelId}/inbox`, followed)).status).toBe(202);
    await waitForAnswer(mastodon, "Accept", followed.id);
    expect((await listOf("blocked", "followers")).map((f) => f.actor_id)).toEqual([carol.id]);

    // dave blocks the channel he does not follow: carol's follow stays.
    expect(
      (await mastodon.send("dave", `${haven.origin}/inbox`, block(dave, channelId))).status,
    ).toBe(202);
    await inboxDrained(t.database.db);
    expect((await listOf("blocked", "followers")).map((f) => f.actor_id)).toEqual([carol.id]);

    // carol blocks it (no Undo{Follow} sent): she is no longer a follower.
    expect(
      (await mastodon.send("carol", `${haven.origin}/inbox`, block(carol, channelId))).status,
    ).toBe(202);
    await expect.poll(async () => (await listOf("blocked", "followers")).length).toBe(0);
  });
});

describe("a channel that approves followers by hand (SECURITY #31)", () => {
  const gated = () => `${haven.origin}/users/gated`;

  test("Follow stays pending with no Accept; a forged Accept changes nothing; authorize → Accept", async () => {
    const activity = follow(carol, gated());
    expect((await mastodon.send("carol", `${gated()}/inbox`, activity)).status).toBe(202);
    await expect
      .poll(async () => (await listOf("gated", "follow_requests")).map((f) => f.actor_id))
      .toEqual([carol.id]);
    expect(await listOf("gated", "followers")).toEqual([]);

    // carol forges an Accept of her own Follow, "from" herself and claiming the channel.
    const forged = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${carol.id}#forged-accept`,
      type: "Accept",
      actor: carol.id,
      object: { ...activity, "@context": undefined, actor: carol.id, object: gated() },
    };
    const forgedRes = await mastodon.send("carol", `${gated()}/inbox`, forged);
    expect(forgedRes.status).toBeLessThan(300);
    const claiming = { ...forged, id: `${carol.id}#forged-2`, actor: gated() };
    // Signed by carol but claiming to be the channel: refused outright.
    expect((await mastodon.send("carol", `${gated()}/inbox`, claiming)).status).toBe(401);

    const requests = await listOf("gated", "follow_requests");
    expect(requests.map((f) => f.status)).toEqual(["pending"]);
    expect(await listOf("gated", "followers")).toEqual([]);
    expect(answersTo(mastodon, "Accept", activity.id)).toEqual([]);

    const id = requests[0]?.id;
    const authorized = await api(`/api/v1/channels/gated/follow_requests/${id}/authorize`, {
      method: "POST",
    });
    expect(authorized.status).toBe(200);
    const accept = await waitForAnswer(mastodon, "Accept", activity.id);
    expect(accept).toMatchObject({
      verified: true,
      actorUsername: "carol",
      signer: { keyId: `${gated()}#main-key` },
    });
    expect((await listOf("gated", "followers")).map((f) => f.actor_id)).toEqual([carol.id]);
    expect(await listOf("gated", "follow_requests")).toEqual([]);
  });

  test("a rejected request → Reject embedding the Follow; nothing kept", async () => {
    const activity = follow(dave, gated());
    expect((await mastodon.send("dave", `${gated()}/inbox`, activity)).status).toBe(202);
    let request: FollowerJson | undefined;
    await expect
      .poll(async () => {
        request = (await listOf("gated", "follow_requests")).find((f) => f.actor_id === dave.id);
        return request !== undefined;
      })
      .toBe(true);
    const rejected = await api(`/api/v1/channels/gated/follow_requests/${request?.id}/reject`, {
      method: "POST",
    });
    expect(rejected.status).toBe(200);
    const reject = await waitForAnswer(mastodon, "Reject", activity.id);
    expect(reject).toMatchObject({ verified: true, actorUsername: "dave" });
    expect(reject.body).toMatchObject({
      actor: gated(),
      object: { type: "Follow", id: activity.id, actor: dave.id },
    });
    expect(answersTo(mastodon, "Accept", activity.id)).toEqual([]);
    expect((await listOf("gated", "followers")).map((f) => f.actor_id)).toEqual([carol.id]);
    expect(await listOf("gated", "follow_requests")).toEqual([]);
  });
});

describe("a PeerTube user subscribes to a channel", () => {
  test("Group and owner Person resolve; the Accept goes to the Person's own inbox", async () => {
    const group = await peertube.resolveWebFinger(`tube@${haven.host}`, haven.origin);
    // PeerTube needs the channel's owner: a Person on the channel's host, from attributedTo.
    const attributed = group.attributedTo as JsonObject[];
    const ownerRef = attributed.find((a) => a.type === "Person");
    expect(ownerRef).toBeDefined();
    const ownerUrl = String(ownerRef?.id);
    expect(new URL(ownerUrl).host).toBe(haven.host);
    const person = JSON.parse((await peertube.get(ownerUrl)).body) as JsonObject;
    expect(person).toMatchObject({
      id: ownerUrl,
      type: "Person",
      preferredUsername: "creator",
    });

    // PeerTube signs with keyId = the actor URL and `(request-target) host date digest`;
    // hs2019 ("from the key") as newer releases label it.
    const activity = follow(bob, String(group.id));
    const res = await peertube.send("bob", String(group.inbox), activity, { algorithm: "hs2019" });
    expect(res.status).toBe(202);
    expect(bob.signingKeyId).toBe(bob.id); // no #main-key
    const accept: Delivery = await waitForAnswer(peertube, "Accept", activity.id);
    expect(accept).toMatchObject({
      verified: true,
      inbox: "personal",
      actorUsername: "bob",
      path: new URL(bob.inbox).pathname,
      signer: { keyId: `${haven.origin}/users/tube#main-key` },
    });
    expect(peertube.deliveries.filter((d) => d.inbox === "shared")).toEqual([]);
    expect((await listOf("tube", "followers")).map((f) => f.actor_id)).toEqual([bob.id]);
    expect((await followRows("tube")).rows).toContainEqual({ iri: bob.id, status: "accepted" });
  });

  test("a profile change reaches PeerTube as an Update{Group} it keeps (owner as an array)", async () => {
    const db = haven.deps.database.db;
    const channel = await findChannel(db, "tube");
    const edited = await updateChannel(db, haven.deps.events, channel!, {
      displayName: "Tube, renamed",
    });
    expect(edited.ok).toBe(true);
    const update = await peertube.waitForDelivery(
      (d) => d.body?.type === "Update" && (d.body.object as JsonObject)?.name === "Tube, renamed",
    );
    expect(update.peertubeProblems).toEqual([]);
    const group = update.body?.object as JsonObject;
    expect(group.attributedTo).toEqual([{ type: "Person", id: `${haven.origin}/users/creator` }]);
    expect(group.url).toBe(`${haven.origin}/@tube`);
    expect(update.body?.to).toEqual([PUBLIC]);
  });
});

describe("an unknown handle", () => {
  test("WebFinger and the actor URL → 404; a Follow to its inbox stores nothing", async () => {
    const wf = await fetch(
      `${haven.origin}/.well-known/webfinger?resource=acct:nobody@${haven.host}`,
    );
    expect(wf.status).toBe(404);
    // Answered as such, not redirected to a page that then says 404.
    for (const accept of ["application/activity+json", "text/html"]) {
      const actor = await fetch(`${haven.origin}/users/nobody`, {
        headers: { Accept: accept },
        redirect: "manual",
      });
      expect(actor.status).toBe(404);
    }
    // So are its collections (an empty collection for any name would say it exists).
    for (const collection of ["outbox", "followers", "following"]) {
      const res = await fetch(`${haven.origin}/users/nobody/${collection}`, {
        headers: { Accept: "application/activity+json" },
        redirect: "manual",
      });
      expect(res.status, collection).toBe(404);
    }
    // A known handle still sends a browser to its profile page.
    const page = await fetch(`${haven.origin}/users/channel`, {
      headers: { Accept: "text/html" },
      redirect: "manual",
    });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/@channel");

    const erin = await mastodon.addActor("erin");
    const res = await mastodon.send(
      "erin",
      `${haven.origin}/users/nobody/inbox`,
      follow(erin, `${haven.origin}/users/nobody`),
    );
    expect([202, 404]).toContain(res.status);
    // Also to the shared inbox, where only the Follow's object names the missing actor.
    const shared = await mastodon.send(
      "erin",
      `${haven.origin}/inbox`,
      follow(erin, `${haven.origin}/users/nobody`),
    );
    expect(shared.status).toBe(202);
    await inboxDrained(t.database.db);
    const stored = await t.database.db
      .select({ id: remoteActors.id })
      .from(remoteActors)
      .where(eq(remoteActors.iri, erin.id));
    expect(stored).toEqual([]);
    expect(mastodon.deliveries.filter((d) => d.actorUsername === "erin")).toEqual([]);
  });
});

describe("PeerTube's other activities are answered 2xx", () => {
  test("a context-less Announce (PeerTube's fixture), View and Create{CacheFile}", async () => {
    const fixture = readFileSync(
      "/work/shared/fixtures/peertube/announce-without-context.json",
      "utf8",
    ).replaceAll("http://localhost:9002", peertube.origin);
    const announce = JSON.parse(fixture) as JsonObject;
    expect(announce["@context"]).toBeUndefined();
    expect(announce.actor).toBe(peertube.instanceActor.id);
    const server = peertube.instanceActor;
    const video = `${peertube.origin}/videos/watch/997111d4-e8d8-4f45-99d3-857905785d05`;
    const context = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"];
    const view = {
      "@context": context,
      id: `${video}/views/${Date.now()}`,
      type: "View",
      actor: server.id,
      object: video,
      expires: new Date(Date.now() + 60_000).toISOString(),
    };
    const cacheFile = {
      "@context": [...context, { sc: "http://schema.org/", expires: "sc:expires" }],
      id: `${peertube.origin}/redundancy/videos/${Date.now()}`,
      type: "Create",
      actor: server.id,
      to: [PUBLIC],
      object: {
        id: `${peertube.origin}/redundancy/videos/${Date.now()}-720`,
        type: "CacheFile",
        object: video,
        expires: new Date(Date.now() + 86_400_000).toISOString(),
        url: { type: "Link", mediaType: "video/mp4", href: `${peertube.origin}/static/x.mp4` },
      },
    };
    for (const activity of [announce, view, cacheFile]) {
      const res = await peertube.send(server, `${haven.origin}/inbox`, activity);
      const what = `${String(activity.type)} → ${res.status} ${res.body}`;
      expect(res.status, what).toBeGreaterThanOrEqual(200);
      expect(res.status, what).toBeLessThan(300);
    }
    // Read with a default context, but the signed bytes are still checked as sent.
    const tampered = await peertube.send(server, `${haven.origin}/inbox`, announce, {
      bodyAfterSigning: JSON.stringify({ ...announce, object: `${video}-other` }),
    });
    expect(tampered.status).toBe(401);
    await inboxDrained(t.database.db);
  });
});
