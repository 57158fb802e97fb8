import type { KvKey } from "@fedify/fedify";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { PostgresKvStore } from "../../federation/storage/index.ts";
import { queryRows } from "../../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
let kv: PostgresKvStore;
beforeAll(async () => {
  t = await createTestDatabase();
});
beforeEach(async () => {
  await t.database.db.execute(sql`TRUNCATE fedify_kv`);
  kv = new PostgresKvStore(t.database);
});
afterAll(() => t.close());

const ms = (milliseconds: number) => Temporal.Duration.from({ milliseconds });
const pause = (n: number) => new Promise((r) => setTimeout(r, n));

async function listed(prefix?: KvKey) {
  const out: { key: KvKey; value: unknown }[] = [];
  for await (const entry of kv.list(prefix)) out.push(entry);
  return out;
}

test("get/set/delete round-trip JSON values, null included", async () => {
  const value = { a: [1, "two", null], nested: { ok: true }, nul: "x\u0000y" };
  await kv.set(["doc", "https://example.com/a"], value);
  await kv.set(["null"], null);
  expect(await kv.get(["doc", "https://example.com/a"])).toEqual(value);
  expect(await kv.get(["null"])).toBeNull();
  expect(await kv.get(["missing"])).toBeUndefined();
  await kv.set(["doc", "https://example.com/a"], 42);
  expect(await kv.get(["doc", "https://example.com/a"])).toBe(42);
  await kv.delete(["doc", "https://example.com/a"]);
  expect(await kv.get(["doc", "https://example.com/a"])).toBeUndefined();
});

test("an entry past its ttl is invisible, and purged", async () => {
  await kv.set(["short"], "soon gone", { ttl: ms(200) });
  await kv.set(["long"], "stays", { ttl: Temporal.Duration.from({ hours: 1 }) });
  await kv.set(["forever"], "stays");
  expect(await kv.get(["short"])).toBe("soon gone");
  await pause(300);
  expect(await kv.get(["short"])).toBeUndefined();
  expect((await listed()).map((e) => e.key)).toEqual([["forever"], ["long"]]);
  expect(await kv.purgeExpired()).toBe(1);
  const rows = await queryRows(t.database.db, sql`SELECT key FROM fedify_kv`);
  expect(rows).toHaveLength(2);
});

test("a write purges expired entries lazily, at most once per interval", async () => {
  kv = new PostgresKvStore(t.database, { purgeIntervalMs: 0 });
  await kv.set(["old"], 1, { ttl: ms(50) });
  await pause(100);
  await kv.set(["new"], 2); // starts a purge in the background
  let keys: string[] = [];
  for (let i = 0; i < 50 && keys.length !== 1; i++) {
    await pause(20);
    const rows = await queryRows<{ key: string }>(t.database.db, sql`SELECT key FROM fedify_kv`);
    keys = rows.map((r) => r.key);
  }
  expect(keys).toEqual(['["new"]']);
});

test("list(prefix) matches whole key elements, in a stable order, across pages", async () => {
  kv = new PostgresKvStore(t.database, { listPageSize: 2 });
  const keys: KvKey[] = [
    ["a"],
    ["a", "1"],
    ["a", "2", "x"],
    ["a", 'quote"d'],
    ["ab"],
    ["a-"],
    ['a"'],
    ["b", "1"],
  ];
  for (const [i, key] of keys.entries()) await kv.set(key, i);
  // Ordered by the JSON encoding: `["a",…` sorts before `["a"]`.
  expect((await listed(["a"])).map((e) => e.key)).toEqual([
    ["a", "1"],
    ["a", "2", "x"],
    ["a", 'quote"d'],
    ["a"],
  ]);
  expect(await listed(["a", "2"])).toEqual([{ key: ["a", "2", "x"], value: 2 }]);
  expect(await listed(["a", "2", "x"])).toEqual([{ key: ["a", "2", "x"], value: 2 }]);
  expect(await listed(["c"])).toEqual([]);
  expect(await listed()).toHaveLength(keys.length);
});

test("list(prefix) is an index range scan", async () => {
  const plan = await t.database.db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL enable_seqscan = off`);
    return queryRows<{ "QUERY PLAN": string }>(
      tx,
      sql`EXPLAIN SELECT key FROM fedify_kv
          WHERE key = '["a"]' OR (key >= '["a",' AND key < '["a"-') ORDER BY key`,
    );
  });
  expect(plan.map((r) => r["QUERY PLAN"]).join("\n")).toContain("fedify_kv_pkey");
});

test("cas swaps only when the live value equals the expected one", async () => {
  const key = ["circuit", "remote.example"] as const;
  expect(await kv.cas(key, undefined, { state: "closed" })).toBe(true);
  expect(await kv.cas(key, undefined, { state: "open" })).toBe(false);
  expect(await kv.cas(key, { state: "half-open" }, { state: "open" })).toBe(false);
  expect(await kv.get(key)).toEqual({ state: "closed" });
  expect(await kv.cas(key, { state: "closed" }, { state: "open", since: 1 })).toBe(true);
  // JSON equality: key order does not matter.
  expect(await kv.cas(key, { since: 1, state: "open" }, { state: "open", since: 2 })).toBe(true);
  expect(await kv.cas(key, { state: "open", since: 2 }, undefined)).toBe(true);
  expect(await kv.get(key)).toBeUndefined();
  expect(await kv.cas(key, undefined, undefined)).toBe(true);
});

test("cas treats an expired entry as absent", async () => {
  await kv.set(["lock"], "held", { ttl: ms(50) });
  await pause(100);
  expect(await kv.cas(["lock"], "held", "stolen")).toBe(false);
  expect(
    await kv.cas(["lock"], undefined, "mine", { ttl: Temporal.Duration.from({ hours: 1 }) }),
  ).toBe(true);
  expect(await kv.get(["lock"])).toBe("mine");
});

test("concurrent cas from the same expected value: exactly one wins", async () => {
  await kv.set(["counter"], 0);
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => kv.cas(["counter"], 0, i + 1)),
  );
  expect(results.filter(Boolean)).toHaveLength(1);
  const fresh = await Promise.all(
    Array.from({ length: 10 }, (_, i) => kv.cas(["fresh"], undefined, i)),
  );
  expect(fresh.filter(Boolean)).toHaveLength(1);
});
