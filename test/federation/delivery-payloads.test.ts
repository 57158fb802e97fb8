/**
 * Haven's own delivery path (ADR 0009): an activity's body is stored once
 * however many inboxes get it, each delivery is a small row naming it, the
 * body posted is exactly what Fedify's own outbox worker would post, a
 * restart in the middle delivers everyone exactly once, and the payload is
 * swept once no delivery needs it.
 */
import { createExponentialBackoffPolicy } from "@fedify/fedify";
import { Update } from "@fedify/vocab";
import { sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { DELIVERY_QUEUE } from "../../federation/outbound/delivery-payloads.ts";
import { createOutboundPublisher } from "../../federation/outbound/publisher.ts";
import { TO_FOLLOWERS } from "../../federation/outbound/send-options.ts";
import { enqueueInTransaction } from "../../federation/storage/enqueue.ts";
import { createVideoPublishing } from "../../federation/videos/video-publisher.ts";
import { createDeps, runWorkers } from "../../src/app.ts";
import { queryRows } from "../../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { type FakeRemote, type JsonObject, startFakeRemote } from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import {
  createTestChannel,
  followChannel,
  publishVideo,
  type TestChannel,
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

/** GoToSocial has no shared inbox: one delivery per follower. */
async function gotosocialFollowers(host: string, names: string[]): Promise<FakeRemote> {
  const remote = await startFakeRemote({ kind: "gotosocial", host });
  remotes.push(remote);
  for (const name of names) await followChannel(remote, await remote.addActor(name), channel);
  return remote;
}

type PayloadRow = { id: string; activity_type: string; sender: string; body: string };
const payloads = (type = "Create") =>
  queryRows<PayloadRow>(
    t.database.db,
    sql`SELECT id::text AS id, activity_type, sender, body FROM delivery_payloads
        WHERE activity_type = ${`https://www.w3.org/ns/activitystreams#${type}`} ORDER BY id`,
  );
const queuedDeliveries = () =>
  queryRows<{ message: string }>(
    t.database.db,
    sql`SELECT message::text AS message FROM fedify_messages WHERE queue = ${DELIVERY_QUEUE}`,
  );
const creates = (r: FakeRemote) => r.deliveries.filter((d) => d.body?.type === "Create");

beforeEach(() => {
  expect.hasAssertions();
});
afterEach(async () => {
  await haven?.close();
  await Promise.all(remotes.map((r) => r.close()));
  remotes = [];
  await t?.close();
});

describe("one payload, many deliveries", () => {
  test("five personal inboxes: the body is stored once, each row only names it", async () => {
    await setup();
    const names = ["amy", "ben", "cat", "dan", "eve"];
    const gts = await gotosocialFollowers("127.0.0.4", names);
    await haven.stopWorkers();
    // The video.published handler alone, as the event worker runs it.
    const video = await publishVideo(haven, channel, {}, { event: false });
    const videos = createVideoPublishing(haven.deps);
    const publish = createOutboundPublisher(
      haven.deps.federation,
      haven.deps.contextData,
      haven.deps.fed.actorDocuments,
      videos.handlers,
    );
    await publish({ type: "video.published", videoId: video.id }, "event-1");

    const [payload, ...others] = await payloads();
    expect(others).toEqual([]);
    expect(payload).toMatchObject({
      activity_type: "https://www.w3.org/ns/activitystreams#Create",
      sender: "calm",
    });
    const rows = (await queuedDeliveries()).map((r) => JSON.parse(r.message) as JsonObject);
    expect(rows).toHaveLength(names.length);
    for (const row of rows) {
      expect(row).toMatchObject({ type: "outbox", kind: "delivery", payload: payload!.id });
      // No copy of the activity and no key material in the row.
      expect(Object.keys(row).sort()).toEqual(
        ["actorIds", "attempt", "inbox", "kind", "payload", "started", "type"].sort(),
      );
    }
    expect(new Set(rows.map((r) => r.inbox)).size).toBe(names.length);
    await haven.deps.deliveries.sweep(); // the Accepts' payloads go, this one is still needed
    expect(await payloads()).toEqual([payload]);

    haven.startWorkers();
    await expect.poll(() => creates(gts).length, { timeout: 15_000 }).toBe(names.length);
    for (const d of creates(gts)) {
      expect(d.verified).toBe(true);
      expect(d.raw).toBe(payload!.body); // byte for byte
    }
    expect(new Set(creates(gts).map((d) => d.actorUsername))).toEqual(new Set(names));
    await expect.poll(async () => (await queuedDeliveries()).length).toBe(0);
    await haven.deps.deliveries.sweep();
    expect(await payloads()).toEqual([]);
  });

  test("the body is what Fedify's own outbox worker posts for the same activity", async () => {
    await setup();
    const gts = await gotosocialFollowers("127.0.0.5", ["gina"]);
    const ctx = haven.deps.federation.createContext(new URL(haven.origin), haven.deps.contextData);
    const actorUri = ctx.getActorUri("calm");
    const update = (n: number) =>
      new Update({
        id: new URL(`${actorUri.href}#updates/compare-${n}`),
        actor: actorUri,
        to: new URL("https://www.w3.org/ns/activitystreams#Public"),
        object: actorUri,
      });
    const followers = "followers" as const;
    // An ordering key keeps a message on Fedify's own outbox worker.
    await ctx.sendActivity({ identifier: "calm" }, followers, update(1), { orderingKey: "x" });
    await ctx.sendActivity({ identifier: "calm" }, followers, update(2), TO_FOLLOWERS);
    // Through Fedify's fan-out stage (a JSON-LD round trip) into our path.
    await ctx.sendActivity({ identifier: "calm" }, followers, update(3), { fanout: "force" });
    await expect
      .poll(() => gts.deliveries.filter((d) => d.body?.type === "Update").length, {
        timeout: 15_000,
      })
      .toBe(3);
    expect((await payloads("Update")).length).toBe(2);
    const [byFedify, byHaven, viaFanout] = [1, 2, 3].map((n) => {
      const tag = `compare-${n}`;
      const d = gts.deliveries.find((x) => String(x.body?.id).endsWith(tag));
      expect(d?.verified).toBe(true);
      // Signatures differ by time and id; everything else must not.
      const { signature, proof, id, ...rest } = d!.body!;
      expect(signature).toBeDefined();
      // Reshaped to arrays (canonical-shape.ts): the proof over the exact JSON
      // would no longer verify, so it is left out on every path.
      expect(proof).toBeUndefined();
      expect(rest.to).toEqual(["https://www.w3.org/ns/activitystreams#Public"]);
      return rest;
    });
    expect(byHaven).toEqual(byFedify);
    expect(viaFanout).toEqual(byFedify);
    expect(Object.keys(byHaven!)).toEqual(Object.keys(byFedify!));
    expect(byHaven!["@context"]).toEqual(byFedify!["@context"]);
  });
});

describe("upgrade", () => {
  test("a raw delivery queued in the old form (body inline) is still delivered, as is", async () => {
    await setup();
    const gts = await gotosocialFollowers("127.0.0.7", ["hal"]);
    const hal = gts.actor("hal");
    const body = JSON.stringify({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${channel.groupId}#updates/legacy`,
      type: "Update",
      actor: channel.groupId,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      object: channel.groupId,
    });
    await enqueueInTransaction(t.database.db, DELIVERY_QUEUE, {
      type: "outbox",
      kind: "raw",
      activityId: `${channel.groupId}#updates/legacy`,
      activityType: "Update",
      inbox: hal.inbox,
      actorIds: [hal.id],
      sender: "calm",
      keyId: `${channel.groupId}#main-key`,
      body,
      started: new Date().toISOString(),
      attempt: 0,
    });
    const delivered = await gts.waitForDelivery((d) => d.body?.type === "Update");
    expect(delivered.verified).toBe(true);
    expect(delivered.raw).toBe(body);
  });
});

describe("restart", () => {
  test("a worker restart in the middle of a fan-out delivers everyone exactly once, then sweeps", async () => {
    await setup({ DELIVERY_CONCURRENCY: "1" });
    const names = ["f0", "f1", "f2", "f3", "f4", "f5"];
    const gts = await gotosocialFollowers("127.0.0.6", names);
    gts.setInboxBehaviour((a) => (a.raw.includes('"Create"') ? { delayMs: 700 } : undefined));

    await publishVideo(haven, channel);
    await expect.poll(() => creates(gts).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await haven.stopWorkers(); // like SIGTERM: the running delivery finishes, the rest stays
    const before = creates(gts).length;
    expect(before).toBeLessThan(names.length);
    expect((await queuedDeliveries()).length).toBe(names.length - before);
    expect(await payloads()).toHaveLength(1);

    const next = await createDeps(haven.config, {
      database: t.database,
      outboxRetryPolicy: FAST_RETRIES,
      payloadSweepIntervalMs: 200,
    });
    const stop = new AbortController();
    const workers = runWorkers(next, stop.signal);
    try {
      await expect.poll(() => creates(gts).length, { timeout: 20_000 }).toBe(names.length);
      await new Promise((r) => setTimeout(r, 1_000)); // nothing more may come
      expect(gts.attempts.filter((a) => a.raw.includes('"Create"'))).toHaveLength(names.length);
      expect(new Set(creates(gts).map((d) => d.actorUsername))).toEqual(new Set(names));
      expect(new Set(creates(gts).map((d) => d.raw)).size).toBe(1);
      expect(creates(gts).every((d) => d.verified)).toBe(true);
      // The periodic sweep removed the payload once the last delivery was done.
      await expect.poll(() => payloads(), { timeout: 15_000 }).toEqual([]);
    } finally {
      stop.abort();
      await workers;
      next.safeFetch.close();
    }
  });
});
