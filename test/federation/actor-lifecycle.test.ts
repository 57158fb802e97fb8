/**
 * Remote actors change and disappear (INTEROP §4.5, SECURITY 15–16): an actor may refresh or
 * delete only itself. Mastodon answers 410 Gone for a deleted account's document, so its
 * Delete{actor} cannot be verified by fetching the key.
 */
import { eq, like } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { fedifyKv, follows, remoteActors } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  follow,
  type JsonObject,
  PUBLIC,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { inboxDrained } from "./inbox-drained.ts";

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let gts: FakeRemote;
let mallory: FakeActor;

const channel = () => `${haven.origin}/users/channel`;
const sharedInbox = () => `${haven.origin}/inbox`;

async function storedActor(iri: string) {
  const [row] = await t.database.db.select().from(remoteActors).where(eq(remoteActors.iri, iri));
  return row ?? null;
}
async function followCount(iri: string): Promise<number> {
  const rows = await t.database.db
    .select({ id: follows.id })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(eq(remoteActors.iri, iri));
  return rows.length;
}

/** A new actor on `remote` that follows the channel (accepted, stored). */
async function follower(remote: FakeRemote, name: string): Promise<FakeActor> {
  const actor = await remote.addActor(name, { name: `${name} (display)` });
  expect((await remote.send(actor, sharedInbox(), follow(actor, channel()))).status).toBe(202);
  await expect.poll(() => followCount(actor.id)).toBe(1);
  return actor;
}

function update(actor: FakeActor, object: JsonObject): JsonObject {
  return {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${actor.id}#updates/${Date.now()}`,
    type: "Update",
    actor: actor.id,
    to: [PUBLIC],
    object,
  };
}

/** Mastodon's account deletion: `…/users/x#delete`, object = the actor id. */
function deleteActor(actor: FakeActor, objectId = actor.id): JsonObject {
  return {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${actor.id}#delete`,
    type: "Delete",
    actor: actor.id,
    to: [PUBLIC],
    object: objectId,
  };
}

/**
 * Forget the cached copies of a key — Fedify's and the inbox fast path's (ADR 0008) — as after
 * the caches expired (or on first contact).
 */
async function forgetCachedKey(keyId: string): Promise<void> {
  await t.database.db.delete(fedifyKv).where(like(fedifyKv.key, `%${JSON.stringify(keyId)}%`));
  haven.deps.fed.inboxFastPath?.keys.delete(keyId);
}

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, gts] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "gotosocial", host: "127.0.0.4" }),
  ]);
  const owner = await haven.createUser("creator");
  const res = await fetch(`${haven.origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${owner.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "channel" }),
  });
  expect(res.status).toBe(201);
  mallory = await mastodon.addActor("mallory");
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), gts?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("Update{actor}", () => {
  test("by the actor itself: name and inbox refreshed from its origin", async () => {
    const ursula = await follower(mastodon, "ursula");
    expect((await storedActor(ursula.id))?.displayName).toBe("ursula (display)");
    ursula.name = "Ursula, renamed";
    ursula.inbox = `${ursula.id}/inbox2`;
    // The embedded copy says something else: only the fetched document counts.
    const res = await mastodon.send(
      ursula,
      sharedInbox(),
      update(ursula, { id: ursula.id, type: "Person", name: "embedded, not fetched" }),
    );
    expect(res.status).toBe(202);
    await expect
      .poll(async () => {
        const row = await storedActor(ursula.id);
        return [row?.displayName, row?.inboxUrl];
      })
      .toEqual(["Ursula, renamed", `${ursula.id}/inbox2`]);

    // mallory "updates" ursula: ignored, not even a refresh (ursula's document changed again).
    ursula.name = "Ursula, third name";
    const forged = update(mallory, {
      id: ursula.id,
      type: "Person",
      name: "Hacked",
      inbox: `${mastodon.origin}/evil`,
    });
    expect((await mastodon.send(mallory, sharedInbox(), forged)).status).toBe(202);
    await inboxDrained(t.database.db);
    const row = await storedActor(ursula.id);
    expect([row?.displayName, row?.inboxUrl]).toEqual(["Ursula, renamed", `${ursula.id}/inbox2`]);
  });
});

describe("Delete{actor}", () => {
  test("by itself, its document now 410 Gone: the actor and its follows are purged", async () => {
    const victor = await follower(mastodon, "victor");
    mastodon.removeActor("victor", 410);
    const res = await mastodon.send(victor, sharedInbox(), deleteActor(victor));
    expect(res.status).toBeLessThan(300);
    await expect.poll(() => storedActor(victor.id)).toBeNull();
    expect(await followCount(victor.id)).toBe(0);
  });

  test("its key no longer cached and no longer fetchable (410): still purged", async () => {
    const wanda = await follower(mastodon, "wanda");
    await forgetCachedKey(wanda.keyId);
    mastodon.removeActor("wanda", 410);
    const res = await mastodon.send(wanda, sharedInbox(), deleteActor(wanda));
    expect(res.status).toBe(202);
    await expect.poll(() => storedActor(wanda.id)).toBeNull();
    expect(await followCount(wanda.id)).toBe(0);
  });

  test("GoToSocial (key at its own path, also 410): purged", async () => {
    const gus = await follower(gts, "gus");
    await forgetCachedKey(gus.keyId);
    gts.removeActor("gus", 410);
    const res = await gts.send(gus, `${channel()}/inbox`, deleteActor(gus));
    expect(res.status).toBe(202);
    await expect.poll(() => storedActor(gus.id)).toBeNull();
  });

  test("a 404 (not 410) key for an uncached actor: refused, nothing purged", async () => {
    const yuri = await follower(mastodon, "yuri");
    await forgetCachedKey(yuri.keyId);
    mastodon.removeActor("yuri", 404);
    const res = await mastodon.send(yuri, sharedInbox(), deleteActor(yuri));
    expect(res.status).toBe(401);
    expect(await storedActor(yuri.id)).not.toBeNull();
  });

  test("of alice, sent by mallory: ignored", async () => {
    const alice = await follower(mastodon, "alice");
    // mallory deletes alice under her own name.
    const byMallory = deleteActor(mallory, alice.id);
    expect((await mastodon.send(mallory, sharedInbox(), byMallory)).status).toBe(202);
    // mallory claims to be alice, with alice's key id or her own key.
    for (const keyId of [alice.keyId, mallory.keyId]) {
      const res = await mastodon.send(alice, sharedInbox(), deleteActor(alice), {
        keyId,
        privateKeyPem: mallory.keys.privateKeyPem,
      });
      expect(res.status).toBe(401);
    }
    await inboxDrained(t.database.db);
    expect(await storedActor(alice.id)).not.toBeNull();
    expect(await followCount(alice.id)).toBe(1);
  });

  test("of alice while she still exists, with her key uncached and forged: refused", async () => {
    const xena = await follower(mastodon, "xena");
    await forgetCachedKey(xena.keyId);
    const res = await mastodon.send(xena, sharedInbox(), deleteActor(xena), {
      privateKeyPem: mallory.keys.privateKeyPem,
    });
    expect(res.status).toBe(401);
    await inboxDrained(t.database.db);
    expect(await followCount(xena.id)).toBe(1);
  });
});
