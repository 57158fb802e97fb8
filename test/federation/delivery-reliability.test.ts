/**
 * Delivery under faults (SECURITY.md "Reliability" 38, 39, 44): retries with
 * backoff deliver exactly once, a 410 from a personal inbox forgets the
 * follower, shared inboxes are coalesced, and a worker restart in the middle
 * of a fan-out loses nobody. Each test has its own Haven and database, and
 * retries measured in milliseconds instead of hours.
 */
import { createExponentialBackoffPolicy } from "@fedify/fedify";
import { eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ACCEPT_ALL, type ModerationGate } from "../../federation/context.ts";
import { createDeps, runWorkers } from "../../src/app.ts";
import { queryRows } from "../../src/db/client.ts";
import { follows, instanceSoftware, remoteActors } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeRemote,
  type InboxAttempt,
  type JsonObject,
  type RemoteKind,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import {
  createTestChannel,
  followChannel,
  publishVideo,
  type TestChannel,
  updateVideo,
} from "../support/video-fixtures.ts";

const FAST_RETRIES = createExponentialBackoffPolicy({
  maxAttempts: 10,
  initialDelay: { milliseconds: 300 },
  maxDelay: { seconds: 2 },
  factor: 2,
  jitter: false,
});

let t: TestDatabase;
let haven: TestHaven;
let remotes: FakeRemote[] = [];
let channel: TestChannel;

async function setup(env: Record<string, string> = {}): Promise<void> {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { env, overrides: { outboxRetryPolicy: FAST_RETRIES } });
  channel = await createTestChannel(haven, "ana", "calm");
}

async function remote(kind: RemoteKind, host: string): Promise<FakeRemote> {
  const r = await startFakeRemote({ kind, host });
  remotes.push(r);
  return r;
}

const carries = (type: string) => (a: InboxAttempt) => {
  try {
    return (JSON.parse(a.raw) as JsonObject).type === type;
  } catch {
    return false;
  }
};
const isCreate = carries("Create");
/** The raw Update{Video} (not Fedify's Update{Note}). */
const isVideoUpdate = (a: InboxAttempt) => {
  try {
    const body = JSON.parse(a.raw) as JsonObject;
    return body.type === "Update" && (body.object as JsonObject | undefined)?.type === "Video";
  } catch {
    return false;
  }
};

beforeEach(() => {
  expect.hasAssertions();
});
afterEach(async () => {
  await haven?.close();
  await Promise.all(remotes.map((r) => r.close()));
  remotes = [];
  await t?.close();
});

describe("retries", () => {
  test("500 three times, then 202: delivered exactly once, after a backoff", async () => {
    await setup();
    const mastodon = await remote("mastodon", "127.0.0.4");
    const alice = await mastodon.addActor("alice");
    await followChannel(mastodon, alice, channel);
    let failures = 0;
    mastodon.setInboxBehaviour((attempt) =>
      isCreate(attempt) && failures++ < 3 ? { status: 500 } : undefined,
    );

    await publishVideo(haven, channel);
    const delivered = await mastodon.waitForDelivery((d) => d.body?.type === "Create", {
      timeoutMs: 20_000,
    });
    expect(delivered).toMatchObject({ verified: true, inbox: "shared" });
    await new Promise((r) => setTimeout(r, 1500)); // nothing more may come
    // Fedify "double-knocks" a failed POST (draft-cavage, then RFC 9421), so one
    // failed attempt can be two POSTs; what matters: one success, last, after backoff.
    const attempts = mastodon.attempts.filter(isCreate);
    expect(attempts.map((a) => a.status)).toEqual([500, 500, 500, 202]);
    expect(mastodon.deliveries.filter((d) => d.body?.type === "Create")).toHaveLength(1);
    const first = attempts[0]!.receivedAt.getTime();
    expect(attempts.at(-1)!.receivedAt.getTime() - first).toBeGreaterThanOrEqual(250);
  });

  test("the raw Update{Video} to PeerTube is retried the same way", async () => {
    await setup();
    const peertube = await remote("peertube", "127.0.0.5");
    const bob = await peertube.addActor("bob");
    await followChannel(peertube, bob, channel);
    const video = await publishVideo(haven, channel);
    await peertube.waitForDelivery((d) => d.body?.type === "Announce");

    let failures = 0;
    peertube.setInboxBehaviour((attempt) =>
      isVideoUpdate(attempt) && failures++ < 3 ? { status: 503 } : undefined,
    );
    await updateVideo(haven, video.id, { title: "A new title" });
    const delivered = await peertube.waitForDelivery(
      (d) => d.body?.type === "Update" && (d.body.object as JsonObject).type === "Video",
      { timeoutMs: 20_000 },
    );
    expect(delivered).toMatchObject({ verified: true, signer: { owner: channel.ownerId } });
    expect((delivered.body?.object as JsonObject | undefined)?.uuid).toBe(video.id);
    await new Promise((r) => setTimeout(r, 1500));
    // Posted by our own sender: one POST per attempt, no double knock.
    const attempts = peertube.attempts.filter(isVideoUpdate);
    expect(attempts.map((a) => a.status)).toEqual([503, 503, 503, 204]);
    const gaps = attempts
      .slice(1)
      .map((a, i) => a.receivedAt.getTime() - attempts[i]!.receivedAt.getTime());
    expect(gaps[0]).toBeGreaterThanOrEqual(250);
    expect(gaps[2]).toBeGreaterThan(gaps[0]!);
  });
});

describe("permanent failures", () => {
  test("410 from a personal inbox: no retry, and the follower is forgotten", async () => {
    await setup();
    // GoToSocial has no shared inbox: deliveries go to the personal inbox.
    const gts = await remote("gotosocial", "127.0.0.6");
    const gina = await gts.addActor("gina");
    await followChannel(gts, gina, channel);
    const db = t.database.db;
    expect(await db.select().from(follows)).toHaveLength(1);
    gts.setInboxBehaviour((attempt) => (isCreate(attempt) ? { status: 410 } : undefined));

    await publishVideo(haven, channel);
    await expect
      .poll(async () => db.select().from(remoteActors).where(eq(remoteActors.iri, gina.id)), {
        timeout: 15_000,
      })
      .toEqual([]);
    expect(await db.select().from(follows)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1500));
    // One attempt (Fedify double-knocks it: at most two POSTs a moment apart), no retry.
    const attempts = gts.attempts.filter(isCreate);
    expect(attempts.length).toBeLessThanOrEqual(2);
    expect(attempts.every((a) => a.status === 410)).toBe(true);
    expect(attempts.at(-1)!.receivedAt.getTime() - attempts[0]!.receivedAt.getTime()).toBeLessThan(
      250,
    );
  });
});

describe("fan-out", () => {
  test("three followers on one instance: one POST to its shared inbox", async () => {
    await setup();
    const mastodon = await remote("mastodon", "127.0.0.7");
    for (const name of ["amy", "ben", "cat"]) {
      await followChannel(mastodon, await mastodon.addActor(name), channel);
    }
    await publishVideo(haven, channel);
    await mastodon.waitForDelivery((d) => d.body?.type === "Create");
    await new Promise((r) => setTimeout(r, 1500));
    const creates = mastodon.attempts.filter(isCreate);
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({ inbox: "shared", path: "/inbox" });
  });

  test("a worker restart mid fan-out: the rest is delivered by the next worker, once each", async () => {
    // One delivery at a time, each slow: stopping the workers leaves some queued.
    await setup({ DELIVERY_CONCURRENCY: "1" });
    const hosts = ["127.0.0.8", "127.0.0.9", "127.0.0.10", "127.0.0.11"];
    const instances = await Promise.all(hosts.map((h) => remote("mastodon", h)));
    for (const [i, instance] of instances.entries()) {
      await followChannel(instance, await instance.addActor(`f${i}`), channel);
      instance.setInboxBehaviour((attempt) => (isCreate(attempt) ? { delayMs: 1200 } : undefined));
    }
    const createsAt = (r: FakeRemote) => r.deliveries.filter((d) => d.body?.type === "Create");

    await publishVideo(haven, channel);
    await expect
      .poll(() => instances.some((r) => r.attempts.some(isCreate)), { timeout: 15_000 })
      .toBe(true);
    await haven.stopWorkers(); // like SIGTERM: the running delivery finishes, the rest stays
    const deliveredBefore = instances.filter((r) => createsAt(r).length > 0).length;
    expect(deliveredBefore).toBeGreaterThanOrEqual(1);
    expect(deliveredBefore).toBeLessThan(instances.length);
    const [queued] = await queryRows<{ n: number }>(
      t.database.db,
      sql`SELECT count(*)::int AS n FROM fedify_messages WHERE queue IN ('outbox', 'fanout', 'raw-outbox')`,
    );
    expect(queued?.n).toBeGreaterThan(0);

    // A new worker process on the same database (the web side stays up for key fetches).
    const next = await createDeps(haven.config, {
      database: t.database,
      outboxRetryPolicy: FAST_RETRIES,
    });
    const stop = new AbortController();
    const workers = runWorkers(next, stop.signal);
    try {
      await expect
        .poll(() => instances.map((r) => createsAt(r).length), { timeout: 20_000 })
        .toEqual([1, 1, 1, 1]);
      await new Promise((r) => setTimeout(r, 1500));
      expect(instances.map((r) => r.attempts.filter(isCreate).length)).toEqual([1, 1, 1, 1]);
      expect(instances.every((r) => createsAt(r).every((d) => d.verified))).toBe(true);
    } finally {
      stop.abort();
      await workers;
      next.safeFetch.close();
    }
  });
});

describe("the delivery guard applies to raw deliveries too", () => {
  test("a domain blocked after the follow gets neither the Update{Note} nor the raw Update{Video}", async () => {
    let blocked = false;
    const reject = { action: "reject", rejectMedia: true, rejectReports: true } as const;
    const gate: ModerationGate = {
      decideForDomain: async (host) =>
        blocked && host === "127.0.0.12" ? reject : ACCEPT_ALL.decideForDomain(host),
      decideForActor: async (iri) =>
        blocked && new URL(iri).hostname === "127.0.0.12" ? reject : ACCEPT_ALL.decideForActor(iri),
    };
    t = await createTestDatabase();
    haven = await startHaven(t.database, {
      overrides: { outboxRetryPolicy: FAST_RETRIES, moderation: gate },
    });
    channel = await createTestChannel(haven, "ana", "calm");
    const peertube = await remote("peertube", "127.0.0.12");
    await followChannel(peertube, await peertube.addActor("bob"), channel);
    const video = await publishVideo(haven, channel);
    await peertube.waitForDelivery((d) => d.body?.type === "Announce");

    blocked = true;
    await updateVideo(haven, video.id, { title: "Edited while blocked" });
    await new Promise((r) => setTimeout(r, 2500));
    expect(peertube.attempts.filter(carries("Update"))).toEqual([]);
  });

  test("with private addresses refused, nothing is posted to a loopback inbox", async () => {
    t = await createTestDatabase();
    haven = await startHaven(t.database, {
      env: { ALLOW_PRIVATE_ADDRESS: "false" },
      overrides: { outboxRetryPolicy: FAST_RETRIES },
    });
    channel = await createTestChannel(haven, "ana", "calm");
    const peertube = await remote("peertube", "127.0.0.13");
    const bob = await peertube.addActor("bob");
    // The follow as rows (Haven may not fetch a loopback actor), and the
    // instance already known as PeerTube so the raw Update is attempted.
    const db = t.database.db;
    const [follower] = await db
      .insert(remoteActors)
      .values({
        iri: bob.id,
        type: "Person",
        handle: bob.acct,
        domain: "127.0.0.13",
        inboxUrl: bob.inbox,
        sharedInboxUrl: bob.sharedInbox ?? null,
      })
      .returning();
    await db.insert(follows).values({
      followerId: follower!.id,
      followeeId: channel.channel.id,
      activityIri: `${bob.id}/follows/1`,
      status: "accepted",
      acceptedAt: new Date(),
    });
    await db.insert(instanceSoftware).values({ domain: peertube.domain, software: "peertube" });

    const video = await publishVideo(haven, channel);
    await updateVideo(haven, video.id, { title: "Edited" });
    await new Promise((r) => setTimeout(r, 2500));
    expect(peertube.attempts).toEqual([]);
    const [left] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM fedify_messages`,
    );
    // Events handled, deliveries dropped for good (not retried forever).
    expect(left?.n).toBe(0);
  });
});
