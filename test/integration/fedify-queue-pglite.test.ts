import { testMessageQueue } from "@fedify/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  DELIVERY_QUEUE,
  enqueuePayload,
  isDeliveryMessage,
  sweepPayloads,
} from "../../federation/outbound/delivery-payloads.ts";
import { PostgresKvStore, PostgresMessageQueue } from "../../federation/storage/index.ts";
import { type Database, openEmbedded } from "../../src/db/client.ts";

// Embedded PGlite is the default database: LISTEN/NOTIFY and SKIP LOCKED must
// work there too, on its single in-process connection.
let database: Database;
beforeAll(async () => {
  database = await openEmbedded(undefined);
  await database.migrate();
});
afterAll(() => database.close());

test("passes Fedify's MessageQueue conformance suite on embedded PGlite", async () => {
  expect.hasAssertions();
  await testMessageQueue(
    () => new PostgresMessageQueue(database, { queue: "conformance", pollIntervalMs: 500 }),
    ({ controller }) => controller.abort(),
    { testOrderingKey: true },
  );
  const depth = await new PostgresMessageQueue(database, { queue: "conformance" }).getDepth();
  expect(depth).toEqual({ queued: 0, ready: 0, delayed: 0 });
});

test("a NOTIFY wakes an idle listener on PGlite too", async () => {
  const mq = new PostgresMessageQueue(database, { queue: "notify", pollIntervalMs: 60_000 });
  const got: unknown[] = [];
  const stop = new AbortController();
  const listening = mq.listen((m) => void got.push(m), { signal: stop.signal });
  await new Promise((r) => setTimeout(r, 200));
  await mq.enqueue("ping");
  const deadline = Date.now() + 1_000;
  while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await listening;
  expect(got).toEqual(["ping"]);
});

test("the KV store's prefix list and cas work on PGlite", async () => {
  const kv = new PostgresKvStore(database);
  await kv.set(["a", "1"], 1);
  await kv.set(["ab"], 2);
  expect(await kv.cas(["a", "1"], 1, 3)).toBe(true);
  const entries = [];
  for await (const entry of kv.list(["a"])) entries.push(entry);
  expect(entries).toEqual([{ key: ["a", "1"], value: 3 }]);
});

test("a payload and 1,200 delivery rows commit together on PGlite; swept once consumed", async () => {
  const targets = Array.from({ length: 1_200 }, (_, i) => ({
    inbox: `https://h${i % 300}.example/users/u${i}/inbox`,
    actorIds: [`https://h${i % 300}.example/users/u${i}`],
  }));
  const payload = {
    activityId: "https://haven.example/notes/1/activity",
    activityType: "https://www.w3.org/ns/activitystreams#Create",
    sender: "calm",
    keyId: "https://haven.example/users/calm#main-key",
    body: '{"type":"Create"}',
  };
  await enqueuePayload(database.db, payload, targets);
  const queue = new PostgresMessageQueue(database, { queue: DELIVERY_QUEUE });
  expect(await queue.getDepth()).toMatchObject({ queued: 1_200 });
  expect(await sweepPayloads(database.db)).toBe(0);

  const seen: unknown[] = [];
  const stop = new AbortController();
  const listening = queue.listen((m) => void seen.push(m), { signal: stop.signal });
  const deadline = Date.now() + 20_000;
  while ((await queue.getDepth()).queued > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  stop.abort();
  await listening;
  expect(seen).toHaveLength(1_200);
  expect(seen.every(isDeliveryMessage)).toBe(true);
  await new Promise((r) => setTimeout(r, 100)); // the last batched DELETE
  expect(await sweepPayloads(database.db)).toBe(1);
});
