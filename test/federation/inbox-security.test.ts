/**
 * Inbox authentication (SECURITY.md 1–13): every forged, stale, replayed or oversized delivery is
 * refused with the right status and leaves nothing behind. The fake remotes sign with the rig's
 * own draft-cavage signer, not Fedify's.
 */
import { createPrivateKey } from "node:crypto";
import { signRequest as fedifySignRequest } from "@fedify/fedify";
import { eq, or } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { ModerationGate } from "../../federation/context.ts";
import { follows, remoteActors } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  follow,
  generateRsaKeyPair,
  type HttpResult,
  httpRequest,
  type JsonObject,
  startFakeRemote,
  undo,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { computeDigest, signRequest } from "../support/http-signatures.ts";
import { EVERY_QUEUE, inboxDrained } from "./inbox-drained.ts";

const BLOCKED_HOST = "127.0.0.9";
const accept = { action: "accept", rejectMedia: false, rejectReports: false } as const;
const reject = { action: "reject", rejectMedia: true, rejectReports: true } as const;
const moderation: ModerationGate = {
  decideForDomain: async (host) => (host === BLOCKED_HOST ? reject : accept),
  decideForActor: async (iri) => (new URL(iri).hostname === BLOCKED_HOST ? reject : accept),
};

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let gts: FakeRemote;
let blocked: FakeRemote;
/** Claimed by every refused request; never legitimately follows anyone in this file. */
let alice: FakeActor;
let mallory: FakeActor;

const channel = () => `${haven.origin}/users/channel`;
const personalInbox = () => `${channel()}/inbox`;
const sharedInbox = () => `${haven.origin}/inbox`;

/** Rows that mention `actorIri` (as a remote actor or a follower) or `activityIri`. */
async function storedFor(actorIri: string, activityIri?: string) {
  const actors = await t.database.db
    .select({ id: remoteActors.id })
    .from(remoteActors)
    .where(eq(remoteActors.iri, actorIri));
  const rows = await t.database.db
    .select({ id: follows.id })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(
      activityIri
        ? or(eq(remoteActors.iri, actorIri), eq(follows.activityIri, activityIri))
        : eq(remoteActors.iri, actorIri),
    );
  return actors.length + rows.length;
}

async function followStatus(actorIri: string): Promise<string[]> {
  const rows = await t.database.db
    .select({ status: follows.status })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(eq(remoteActors.iri, actorIri));
  return rows.map((r) => r.status);
}

/** A Follow of the channel by alice, refused: 401 (or `status`) and nothing stored. */
async function expectRefused(
  send: (activity: JsonObject & { id: string }) => Promise<HttpResult>,
  status = 401,
) {
  const activity = follow(alice, channel());
  const res = await send(activity);
  expect(res.status, res.body).toBe(status);
  expect(await storedFor(alice.id, activity.id)).toBe(0);
}

/** Signs for `signUrl` (as `actor`, Mastodon-style) and POSTs to `sendUrl`. */
function signedPost(input: {
  actor: FakeActor;
  activity: JsonObject;
  signUrl: string;
  sendUrl: string;
  headers?: Record<string, string>;
}): Promise<HttpResult> {
  const body = JSON.stringify(input.activity);
  const headers = signRequest({
    method: "POST",
    url: input.signUrl,
    body,
    keyId: input.actor.keyId,
    privateKeyPem: input.actor.keys.privateKeyPem,
  });
  return httpRequest({
    method: "POST",
    url: input.sendUrl,
    body,
    headers: { ...headers, ...input.headers },
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, gts, blocked] = await Promise.all([
    startHaven(t.database, { overrides: { moderation } }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "gotosocial", host: "127.0.0.4" }),
    startFakeRemote({ kind: "mastodon", host: BLOCKED_HOST }),
  ]);
  const owner = await haven.createUser("creator");
  const res = await fetch(`${haven.origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${owner.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "channel" }),
  });
  expect(res.status).toBe(201);
  [alice, mallory] = await Promise.all([mastodon.addActor("alice"), mastodon.addActor("mallory")]);
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), gts?.close(), blocked?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("signature presence and coverage", () => {
  test("#1 unsigned POSTs to the personal and the shared inbox → 401", async () => {
    for (const url of [personalInbox(), sharedInbox()]) {
      await expectRefused((activity) =>
        httpRequest({
          method: "POST",
          url,
          body: JSON.stringify(activity),
          headers: { "Content-Type": "application/activity+json" },
        }),
      );
    }
  });

  test("#2 body changed after signing (digest no longer matches) → 401", async () => {
    await expectRefused((activity) =>
      mastodon.send("alice", personalInbox(), activity, {
        bodyAfterSigning: JSON.stringify({ ...activity, id: `${activity.id}-changed` }),
      }),
    );
  });

  test("#3 Digest present but not signed → 401, also when body and Digest are swapped", async () => {
    const unsignedDigest = ["(request-target)", "host", "date", "content-type"];
    await expectRefused((activity) =>
      mastodon.send("alice", personalInbox(), activity, { headersToSign: unsignedDigest }),
    );
    await expectRefused((activity) => {
      const swapped = JSON.stringify({ ...activity, id: `${activity.id}-swapped` });
      return mastodon.send("alice", personalInbox(), activity, {
        headersToSign: unsignedDigest,
        bodyAfterSigning: swapped,
        headersAfterSigning: { Digest: computeDigest(swapped) },
      });
    });
  });

  test("#4 signed headers without host, (request-target) or date → 401 each", async () => {
    for (const headersToSign of [
      ["(request-target)", "date", "digest", "content-type"],
      ["host", "date", "digest", "content-type"],
      ["(request-target)", "host", "digest", "content-type"],
    ]) {
      await expectRefused((activity) =>
        mastodon.send("alice", sharedInbox(), activity, { headersToSign }),
      );
    }
  });

  test("#8 a signature made for another path or another host → 401", async () => {
    // Captured from a delivery to another inbox of ours…
    await expectRefused((activity) =>
      signedPost({
        actor: alice,
        activity,
        signUrl: `${haven.origin}/users/someone/inbox`,
        sendUrl: personalInbox(),
      }),
    );
    // …or to the same path on another server, replayed here with our Host…
    const elsewhere = `http://127.0.0.1:9/users/channel/inbox`;
    await expectRefused((activity) =>
      signedPost({
        actor: alice,
        activity,
        signUrl: elsewhere,
        sendUrl: personalInbox(),
        headers: { Host: haven.host },
      }),
    );
    // …or with the other server's Host header left in place.
    const refused = await signedPost({
      actor: alice,
      activity: follow(alice, channel()),
      signUrl: elsewhere,
      sendUrl: personalInbox(),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(await storedFor(alice.id)).toBe(0);
  });
});

describe("time and replay", () => {
  test("#5 Date two hours old or ahead → 401; thirty minutes old → accepted", async () => {
    for (const offset of [-2, 2]) {
      await expectRefused((activity) =>
        mastodon.send("alice", personalInbox(), activity, {
          date: new Date(Date.now() + offset * 3600_000),
        }),
      );
    }
    const late = await mastodon.addActor("late");
    const res = await mastodon.send("late", personalInbox(), follow(late, channel()), {
      date: new Date(Date.now() - 30 * 60_000),
    });
    expect(res.status).toBe(202);
    await expect.poll(() => followStatus(late.id)).toEqual(["accepted"]);
  });

  test("#6 the same delivery replayed, also ten times concurrently → one follow", async () => {
    const replayer = await mastodon.addActor("replayer");
    const activity = follow(replayer, channel());
    const body = JSON.stringify(activity);
    const headers = signRequest({
      method: "POST",
      url: personalInbox(),
      body,
      keyId: replayer.keyId,
      privateKeyPem: replayer.keys.privateKeyPem,
    });
    const post = () => httpRequest({ method: "POST", url: personalInbox(), body, headers });
    // Ten at once before anything was processed, then again once it was.
    const first = await Promise.all(Array.from({ length: 10 }, post));
    expect(first.map((r) => r.status)).toEqual(Array(10).fill(202));
    await expect.poll(() => followStatus(replayer.id)).toEqual(["accepted"]);
    await mastodon.waitForDelivery(
      (d) => d.body?.type === "Accept" && (d.body.object as JsonObject).id === activity.id,
    );
    const again = await Promise.all(Array.from({ length: 10 }, post));
    for (const r of again) expect(r.status).toBeLessThan(300);
    await inboxDrained(t.database.db, EVERY_QUEUE);
    expect(await followStatus(replayer.id)).toEqual(["accepted"]);
    const accepts = mastodon.deliveries.filter(
      (d) => d.body?.type === "Accept" && (d.body.object as JsonObject).id === activity.id,
    );
    expect(accepts).toHaveLength(1);
    const rows = await t.database.db
      .select({ id: remoteActors.id })
      .from(remoteActors)
      .where(eq(remoteActors.iri, replayer.id));
    expect(rows).toHaveLength(1);
  });
});

describe("keys and their owners", () => {
  test("#7 signed with mallory's key, actor = alice → 401", async () => {
    await expectRefused((activity) =>
      mastodon.send("alice", personalInbox(), activity, {
        keyId: mallory.keyId,
        privateKeyPem: mallory.keys.privateKeyPem,
      }),
    );
    // Alice's key id, mallory's private key.
    await expectRefused((activity) =>
      mastodon.send("alice", personalInbox(), activity, {
        privateKeyPem: mallory.keys.privateKeyPem,
      }),
    );
  });

  test("#10 a key URL that answers 404 → 401; twenty tries, at most one fetch", async () => {
    // Mastodon-style (key in the actor document) and GoToSocial-style (key at its own path).
    for (const [remote, keyPath] of [
      [mastodon, "#main-key"],
      [gts, "/main-key"],
    ] as const) {
      const ghostId = `${remote.origin}/users/ghost`;
      const ghost: FakeActor = {
        ...alice,
        id: ghostId,
        keyId: `${ghostId}${keyPath}`,
        signingKeyId: `${ghostId}${keyPath}`,
      };
      const results = [];
      for (let i = 0; i < 20; i++) {
        results.push((await remote.send(ghost, sharedInbox(), follow(ghost, channel()))).status);
      }
      expect(results).toEqual(Array(20).fill(401));
      expect(await storedFor(ghostId)).toBe(0);
      const fetches = remote.incomingRequests.filter((r) => r.url.startsWith(ghostId));
      expect(fetches.length, keyPath).toBeLessThanOrEqual(1);
    }
  });

  test("#11 a remote actor that rotated its key → one re-fetch, then accepted", async () => {
    const rotor = await mastodon.addActor("rotor");
    const activity = follow(rotor, channel());
    expect((await mastodon.send("rotor", personalInbox(), activity)).status).toBe(202);
    await expect.poll(() => followStatus(rotor.id)).toEqual(["accepted"]);
    const fetchesOfRotor = () =>
      mastodon.incomingRequests.filter((r) => r.method === "GET" && r.url === rotor.id).length;
    const before = fetchesOfRotor();
    rotor.keys = await generateRsaKeyPair(); // the actor document now serves the new key
    const res = await mastodon.send("rotor", personalInbox(), undo(rotor, activity));
    expect(res.status).toBe(202);
    await expect.poll(() => followStatus(rotor.id)).toEqual([]);
    expect(fetchesOfRotor() - before).toBe(1);
  });

  test("GHSA-q9f8-5hc7-898f: a key document naming gina as owner, not listed by gina → 401", async () => {
    // GoToSocial keeps keys at paths of their own (/users/x/main-key), so key ≠ actor document.
    const gina = await gts.addActor("gina");
    const evil = await gts.addActor("evil");
    const standalone = `${gts.origin}/keys/standalone`;
    gts.serve({
      "@context": "https://w3id.org/security/v1",
      id: standalone,
      type: "CryptographicKey",
      owner: gina.id,
      publicKeyPem: evil.keys.publicKeyPem,
    });
    // A GoToSocial-style stub claiming to be gina and listing evil's key.
    const stub = `${gts.origin}/keys/stub`;
    gts.serve({
      "@context": ["https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams"],
      id: stub,
      type: "Person",
      publicKey: { id: stub, owner: gina.id, publicKeyPem: evil.keys.publicKeyPem },
    });
    for (const keyId of [standalone, stub]) {
      const activity = follow(gina, channel());
      const res = await gts.send("gina", personalInbox(), activity, {
        keyId,
        privateKeyPem: evil.keys.privateKeyPem,
      });
      expect(res.status, keyId).toBe(401);
      expect(await storedFor(gina.id, activity.id)).toBe(0);
    }

    // Gina's own key, at its own path and listed by her actor document, is accepted.
    const real = follow(gina, channel());
    expect((await gts.send("gina", personalInbox(), real)).status).toBe(202);
    await expect.poll(() => followStatus(gina.id)).toEqual(["accepted"]);
  });
});

describe("malformed requests", () => {
  test("#9 garbage, unknown-algorithm, undecodable and oversized Signature headers → 401", async () => {
    const variants: ((h: Record<string, string>) => Record<string, string>)[] = [
      () => ({ Signature: "garbage" }),
      () => ({ Signature: 'keyId="not a url",headers="date",signature="AAAA"' }),
      (h) => ({ Signature: String(h.Signature).replace(/signature="[^"]*"/, 'signature="!!*"') }),
      (h) => ({ Signature: String(h.Signature).replace("rsa-sha256", "made-up-algorithm") }),
      (h) => ({ Signature: String(h.Signature).replace("rsa-sha256", "hmac-sha256") }),
      (h) => ({
        Signature: String(h.Signature).replace(/signature="/, `signature="${"A".repeat(12_000)}`),
      }),
      () => ({ Date: "not a date" }),
    ];
    for (const variant of variants) {
      await expectRefused((activity) => {
        const body = JSON.stringify(activity);
        const headers = signRequest({
          method: "POST",
          url: personalInbox(),
          body,
          keyId: alice.keyId,
          privateKeyPem: alice.keys.privateKeyPem,
        });
        return httpRequest({
          method: "POST",
          url: personalInbox(),
          body,
          headers: { ...headers, ...variant(headers) },
        });
      });
    }
  });

  test("#25 a 5 MB body, with or without a Content-Length → 413 before parsing", async () => {
    const big = `{"type":"Follow","actor":"${alice.id}","junk":"${"x".repeat(5 * 1024 * 1024)}"}`;
    const headers = signRequest({
      method: "POST",
      url: personalInbox(),
      body: big,
      keyId: alice.keyId,
      privateKeyPem: alice.keys.privateKeyPem,
    });
    const declared = await httpRequest({
      method: "POST",
      url: personalInbox(),
      body: big,
      headers,
    });
    expect(declared.status).toBe(413);
    // A Content-Length that claims 5 MB is refused before a byte of the body is read.
    const claimed = await httpRequest({
      method: "POST",
      url: personalInbox(),
      body: "{}",
      headers: { ...headers, "Content-Length": String(5 * 1024 * 1024) },
      // Never sent: a server waiting for those 5 MB would run into this.
      timeoutMs: 10_000,
    });
    expect(claimed.status).toBe(413);
    // Chunked: no length announced, so the cap must count the bytes as they arrive.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 5 * 1024 * 1024) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const chunked = await fetch(sharedInbox(), {
      method: "POST",
      headers: { "Content-Type": "application/activity+json", Signature: headers.Signature! },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await storedFor(alice.id)).toBe(0);
  });
});

describe("RFC 9421 (signed with Fedify's signer: the rig only speaks draft-cavage)", () => {
  async function rfc9421Request(actor: FakeActor, activity: JsonObject): Promise<Request> {
    const der = createPrivateKey(actor.keys.privateKeyPem).export({ format: "der", type: "pkcs8" });
    const key = await crypto.subtle.importKey(
      "pkcs8",
      der,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      true, // Fedify refuses keys it cannot export
      ["sign"],
    );
    const request = new Request(personalInbox(), {
      method: "POST",
      headers: { "Content-Type": "application/activity+json" },
      body: JSON.stringify(activity),
    });
    return fedifySignRequest(request, key, new URL(actor.keyId), { spec: "rfc9421" });
  }

  test("#12 a valid RFC 9421 signature → accepted; a wrong Content-Digest → 401", async () => {
    const rfc = await mastodon.addActor("rfc");
    const activity = follow(rfc, channel());
    const signed = await rfc9421Request(rfc, activity);
    expect(signed.headers.get("signature-input")).toContain("content-digest");
    const tampered = await fetch(signed.url, {
      method: "POST",
      headers: signed.headers,
      body: JSON.stringify({ ...activity, id: `${activity.id}-tampered` }),
    });
    expect(tampered.status).toBe(401);
    expect(await storedFor(rfc.id)).toBe(0);
    const res = await fetch(signed.url, {
      method: "POST",
      headers: signed.headers,
      body: JSON.stringify(activity),
    });
    expect(res.status).toBe(202);
    await expect.poll(() => followStatus(rfc.id)).toEqual(["accepted"]);
  });
});

describe("#13 a suspended domain", () => {
  test("a valid signature from it → 403, nothing stored, no request made to it", async () => {
    const eve = await blocked.addActor("eve");
    const activity = follow(eve, channel());
    const res = await blocked.send("eve", personalInbox(), activity);
    expect(res.status).toBe(403);
    // Claiming a remote actor elsewhere but signing with a key on the blocked domain.
    const relay = await blocked.send(eve, sharedInbox(), follow(alice, channel()), {
      keyId: eve.keyId,
    });
    expect(relay.status).toBe(403);
    expect(await storedFor(eve.id, activity.id)).toBe(0);
    expect(await storedFor(alice.id)).toBe(0);
    expect(blocked.incomingRequests.filter((r) => r.method === "GET")).toEqual([]);
  });
});
