/**
 * Federation policy enforced end to end, set through the admin API as an
 * admin would: fake Mastodon instances on their own loopback addresses —
 * one suspended, one silenced, one allowed, others for the follower purge,
 * the queued delivery and allowlist mode — each rule checked by what the
 * remotes receive and what Haven stores.
 */
import { Update } from "@fedify/vocab";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { shouldFetchMedia } from "../../federation/moderation/media.ts";
import { createDeps, type Deps, runWorkers } from "../../src/app.ts";
import { follows, remoteActors } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  follow,
  httpRequest,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { signRequest } from "../support/http-signatures.ts";
import { createTestChannel, followChannel, type TestChannel } from "../support/video-fixtures.ts";

let t: TestDatabase;
let haven: TestHaven;
let admin: string;
let channel: TestChannel;
/** Suspended before anything happens. */
let evil: FakeRemote;
/** Silenced. */
let quiet: FakeRemote;
/** Allowed (in allowlist mode too). */
let friend: FakeRemote;
/** Has followers, then is suspended. */
let former: FakeRemote;
/** Gets a queued delivery, then is suspended before the workers send it. */
let later: FakeRemote;
/** Follows, then is cut off by allowlist mode. */
let stranger: FakeRemote;

async function admin_(method: string, path: string, json?: unknown) {
  const res = await fetch(`${haven.origin}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${admin}`,
      ...(json === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  const body: any = await res.json();
  return { status: res.status, body };
}

const hostOf = (remote: FakeRemote) => new URL(remote.origin).hostname;

async function suspend(remote: FakeRemote, extra: Record<string, unknown> = {}) {
  const res = await admin_("POST", "/api/v1/admin/domain_blocks", {
    domain: hostOf(remote),
    severity: "suspend",
    ...extra,
  });
  expect(res.status).toBe(200);
  return res.body;
}

async function followRows(actor: FakeActor) {
  return t.database.db
    .select({ status: follows.status })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(eq(remoteActors.iri, actor.id));
}

async function storedActor(actor: FakeActor) {
  return t.database.db.select().from(remoteActors).where(eq(remoteActors.iri, actor.id));
}

/** Fedify cannot restart a stopped queue: a second process's deps take over the workers. */
let worker: { deps: Deps; controller: AbortController; running: Promise<void> } | null = null;
async function startSeparateWorker() {
  const deps = await createDeps(haven.config, { database: t.database });
  const controller = new AbortController();
  worker = { deps, controller, running: runWorkers(deps, controller.signal) };
}

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, evil, quiet, friend, former, later, stranger] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.21" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.22" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.23" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.24" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.25" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.26" }),
  ]);
  ({ token: admin } = await haven.createUser("ada", { admin: true }));
  channel = await createTestChannel(haven, "olive", "skills");
  await suspend(evil, { public_comment: "harassment" });
});
afterAll(async () => {
  await haven?.close();
  if (worker) {
    worker.controller.abort();
    await worker.running;
    await worker.deps.moderationRuntime.close();
    worker.deps.safeFetch.close();
  }
  await Promise.all([evil, quiet, friend, former, later, stranger].map((r) => r?.close()));
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("inbox", () => {
  test("a suspended domain's signed Follow → 403, nothing stored, no request to it", async () => {
    const mallory = await evil.addActor("mallory");
    const res = await evil.send(mallory, channel.inbox, follow(mallory, channel.groupId));
    expect(res.status).toBe(403);
    expect(await storedActor(mallory)).toEqual([]);
    expect(await followRows(mallory)).toEqual([]);
    // Not even its key was fetched.
    expect(evil.incomingRequests.filter((r) => r.method === "GET")).toEqual([]);
  });

  test("a blocked account on an allowed domain → 403, nothing stored, no request for it", async () => {
    const troll = await friend.addActor("troll");
    const blocked = await admin_("POST", "/api/v1/admin/account_blocks", { actor_id: troll.id });
    expect(blocked.status).toBe(201);
    const res = await friend.send(troll, channel.inbox, follow(troll, channel.groupId));
    expect(res.status).toBe(403);
    expect(await storedActor(troll)).toEqual([]);
    expect(friend.incomingRequests.filter((r) => r.url.includes("/troll"))).toEqual([]);
  });

  test("a silenced domain's Follow becomes a pending request, with no Accept", async () => {
    await admin_("POST", "/api/v1/admin/domain_blocks", {
      domain: hostOf(quiet),
      severity: "silence",
    });
    const sam = await quiet.addActor("sam");
    const activity = follow(sam, channel.groupId);
    const res = await quiet.send(sam, channel.inbox, activity);
    expect(res.status).toBe(202);
    await expect.poll(() => followRows(sam), { timeout: 15_000 }).toEqual([{ status: "pending" }]);
    await new Promise((r) => setTimeout(r, 500));
    expect(quiet.deliveries.filter((d) => d.body?.type === "Accept")).toEqual([]);
  });

  test("an allowed domain's Follow is accepted", async () => {
    const bob = await friend.addActor("bob");
    await followChannel(friend, bob, channel);
    expect(await followRows(bob)).toEqual([{ status: "accepted" }]);
  });
});

describe("existing relationships and queued deliveries", () => {
  test("suspending a domain removes its followers at once (and audits the purge)", async () => {
    const [ann, ben] = await Promise.all([former.addActor("ann"), former.addActor("ben")]);
    await followChannel(former, ann, channel);
    await followChannel(former, ben, channel);
    const preview = await admin_("POST", "/api/v1/admin/domain_blocks/preview", {
      domain: hostOf(former),
      severity: "suspend",
    });
    expect(preview.body.totals.followers_cut).toBe(2);
    await suspend(former);
    expect(await followRows(ann)).toEqual([]);
    expect(await followRows(ben)).toEqual([]);
    const audit = await admin_(
      "GET",
      `/api/v1/admin/audit_log?action=domain_block.purge&target=${hostOf(former)}`,
    );
    expect(audit.body[0].details.removed.follows).toBe(2);
  });

  test("a delivery queued before the block is not sent; the allowed domain still gets it", async () => {
    const cat = await later.addActor("cat");
    const dot = await friend.addActor("dot");
    await followChannel(later, cat, channel);
    await followChannel(friend, dot, channel);
    // The web process stops working queues; the activity waits in the outbox queue.
    await haven.stopWorkers();
    const ctx = haven.deps.federation.createContext(new URL(haven.origin), haven.deps.contextData);
    const actorUri = ctx.getActorUri("skills");
    const update = new Update({
      id: new URL(`${actorUri.href}#updates/queued-before-block`),
      actor: actorUri,
      to: new URL("https://www.w3.org/ns/activitystreams#Public"),
      object: actorUri,
    });
    // Straight into the outbox queue, one message per inbox (no fan-out step).
    await ctx.sendActivity({ identifier: "skills" }, "followers", update, {
      preferSharedInbox: true,
      fanout: "skip",
    });
    later.clearDeliveries();
    await suspend(later);
    // A worker process (as with HAVEN_ROLE=worker) picks the queue up from here on.
    await startSeparateWorker();
    await friend.waitForDelivery((d) => d.body?.id === update.id?.href, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(later.attempts).toEqual([]);
  });
});

describe("fetching", () => {
  test("nothing is fetched from a suspended domain, whoever asks", async () => {
    const eve = await evil.addActor("eve");
    const ctx = haven.deps.federation.createContext(new URL(haven.origin), haven.deps.contextData);
    expect(await ctx.lookupObject(eve.id)).toBeNull();
    expect(evil.incomingRequests).toEqual([]);
  });

  test("reject_media and suspension both say no to media; others yes", async () => {
    await admin_("POST", "/api/v1/admin/domain_blocks", {
      domain: "media.quiet.test",
      severity: "noop",
      reject_media: true,
    });
    const gate = haven.deps.moderation;
    expect(await shouldFetchMedia(gate, "https://media.quiet.test/a.png")).toBe(false);
    expect(await shouldFetchMedia(gate, `${evil.origin}/avatar.png`)).toBe(false);
    expect(await shouldFetchMedia(gate, `${friend.origin}/avatar.png`)).toBe(true);
  });

  describe("authorized fetch", () => {
    const channelUrl = () => `${haven.origin}/users/skills`;
    const signedGet = (actor: FakeActor, url: string) =>
      httpRequest({
        method: "GET",
        url,
        headers: signRequest({
          method: "GET",
          url,
          keyId: actor.keyId,
          privateKeyPem: actor.keys.privateKeyPem,
        }),
      });

    beforeAll(async () => {
      const res = await admin_("PATCH", "/api/v1/admin/federation_settings", {
        authorized_fetch: true,
      });
      expect(res.body.authorized_fetch).toBe(true);
    });
    afterAll(async () => {
      await admin_("PATCH", "/api/v1/admin/federation_settings", { authorized_fetch: false });
    });

    test("unsigned GET of a channel → 401; instance actor, WebFinger, NodeInfo stay open", async () => {
      const res = await httpRequest({
        method: "GET",
        url: channelUrl(),
        headers: { Accept: "application/activity+json" },
      });
      expect(res.status).toBe(401);
      for (const path of [
        "/users/instance",
        `/.well-known/webfinger?resource=acct:skills@${haven.host}`,
        "/.well-known/nodeinfo",
      ]) {
        const open = await httpRequest({
          method: "GET",
          url: `${haven.origin}${path}`,
          headers: { Accept: "application/activity+json" },
        });
        expect(open.status, path).toBe(200);
      }
      // Browsers are still sent to the public page.
      const page = await httpRequest({
        method: "GET",
        url: channelUrl(),
        headers: { Accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" },
      });
      expect(page.status).toBe(302);
      expect(page.headers.location).toMatch(/\/@skills$/);
      for (const path of ["/users/skills/outbox", "/users/skills/followers"]) {
        const closed = await httpRequest({
          method: "GET",
          url: `${haven.origin}${path}`,
          headers: { Accept: "application/activity+json" },
        });
        expect(closed.status, path).toBe(401);
      }
    });

    test("signed GET from an allowed server → 200; from a suspended one → 403 and no request to it", async () => {
      const bea = await friend.addActor("bea");
      const ok = await signedGet(bea, channelUrl());
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body).id).toBe(channelUrl());

      const eli = await evil.addActor("eli");
      const refused = await signedGet(eli, channelUrl());
      expect(refused.status).toBe(403);
      expect(evil.incomingRequests).toEqual([]);
    });

    test("a blocked account's signed GET → 403; a signature for another host → 401", async () => {
      const troll = friend.actor("troll");
      expect((await signedGet(troll, channelUrl())).status).toBe(403);
      const bea = friend.actor("bea");
      const elsewhere = `http://haven.invalid/users/skills`;
      const headers = signRequest({
        method: "GET",
        url: elsewhere,
        keyId: bea.keyId,
        privateKeyPem: bea.keys.privateKeyPem,
      });
      const res = await httpRequest({ method: "GET", url: channelUrl(), headers });
      expect(res.status).toBe(401);
    });
  });
});

describe("allowlist mode", () => {
  test("switching it on cuts unlisted followers; an unlisted Follow → 403 with no request", async () => {
    const una = await stranger.addActor("una");
    await followChannel(stranger, una, channel);
    for (const remote of [friend, quiet]) {
      const res = await admin_("POST", "/api/v1/admin/domain_allows", { domain: hostOf(remote) });
      expect(res.status).toBe(200);
    }
    const preview = await admin_("POST", "/api/v1/admin/federation_settings/preview", {
      federation_mode: "allowlist",
    });
    expect(preview.body.allowlist.by_domain).toContainEqual({
      domain: hostOf(stranger),
      followers_cut: 1,
      pending_requests_cut: 0,
    });
    const on = await admin_("PATCH", "/api/v1/admin/federation_settings", {
      federation_mode: "allowlist",
    });
    expect(on.status).toBe(200);
    expect(on.body.purged).toContainEqual({
      target: hostOf(stranger),
      reason: "not_allowlisted",
      removed: expect.objectContaining({ follows: 1 }),
    });
    expect(await followRows(una)).toEqual([]);

    const vic = await stranger.addActor("vic");
    const seen = stranger.incomingRequests.length;
    const res = await stranger.send(vic, channel.inbox, follow(vic, channel.groupId));
    expect(res.status).toBe(403);
    expect(await storedActor(vic)).toEqual([]);
    expect(stranger.incomingRequests.slice(seen)).toEqual([]);

    // The allowed domain still federates.
    const flo = await friend.addActor("flo");
    await followChannel(friend, flo, channel);
    expect(await followRows(flo)).toEqual([{ status: "accepted" }]);
    await admin_("PATCH", "/api/v1/admin/federation_settings", { federation_mode: "blocklist" });
  });
});
