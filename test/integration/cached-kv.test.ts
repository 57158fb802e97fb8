/**
 * CachedKvStore over the real PostgresKvStore: the KvStore contract holds,
 * an unchanged `set` never reaches SQL, `delete`/`cas` invalidate, cached
 * reads expire after the TTL, and two processes' wrappers over one database
 * see each other's writes within the TTL — never for idempotency records.
 */
import type { KvKey, KvStore, KvStoreSetOptions } from "@fedify/fedify";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  CachedKvStore,
  FEDIFY_CACHEABLE_PREFIXES,
} from "../../federation/storage/cached-kv-store.ts";
import { PostgresKvStore } from "../../federation/storage/index.ts";
import { queryRows } from "../../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

const SPEC = ["_fedify", "httpMessageSignaturesSpec"] as const;
const CIRCUIT = ["_fedify", "circuit"] as const;
const IDEMPOTENCE = ["_fedify", "activityIdempotence"] as const;
const spec = (origin: string): KvKey => [...SPEC, origin];
const circuit = (host: string): KvKey => [...CIRCUIT, host];

/** PostgresKvStore that counts the calls that reach SQL. */
class CountingKv extends PostgresKvStore {
  writes = 0;
  reads = 0;
  override async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    this.reads++;
    return super.get<T>(key);
  }
  override async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    this.writes++;
    return super.set(key, value, options);
  }
}

let t: TestDatabase;
let clock = 0;
const now = () => clock;
beforeAll(async () => {
  t = await createTestDatabase();
});
beforeEach(async () => {
  await t.database.db.execute(sql`TRUNCATE fedify_kv`);
  clock = 1_000_000;
});
afterAll(() => t.close());

/** One process's view: its own cache over the shared database. */
function processView(options: { ttlMs?: number; maxEntries?: number } = {}) {
  const inner = new CountingKv(t.database);
  const kv = new CachedKvStore(inner, {
    prefixes: FEDIFY_CACHEABLE_PREFIXES,
    ttlMs: options.ttlMs ?? 30_000,
    ...(options.maxEntries ? { maxEntries: options.maxEntries } : {}),
    now,
  });
  return { inner, kv };
}

async function xmin(key: KvKey): Promise<string | undefined> {
  const rows = await queryRows<{ xmin: string }>(
    t.database.db,
    sql`SELECT xmin::text AS xmin FROM fedify_kv WHERE key = ${JSON.stringify(key)}`,
  );
  return rows[0]?.xmin;
}

async function listed(kv: KvStore, prefix: KvKey) {
  const out: unknown[] = [];
  for await (const entry of kv.list(prefix)) out.push([entry.key, entry.value]);
  return out;
}

describe("the KvStore contract, cached and uncached keys alike", () => {
  const keys: KvKey[] = [spec("https://a.example"), circuit("a.example"), ["haven", "x"]];
  for (const key of keys) {
    test(`get/set/delete/cas/list on ${JSON.stringify(key)}`, async () => {
      const { kv } = processView();
      expect(await kv.get(key)).toBeUndefined();
      await kv.set(key, { n: 1, list: ["a", null] });
      expect(await kv.get(key)).toEqual({ n: 1, list: ["a", null] });
      // A reader may mutate what it got without changing the cache.
      const got = (await kv.get<{ n: number }>(key))!;
      got.n = 99;
      expect(await kv.get(key)).toEqual({ n: 1, list: ["a", null] });
      await kv.set(key, 2);
      expect(await kv.get(key)).toBe(2);
      expect(await kv.cas(key, 3, 4)).toBe(false);
      expect(await kv.get(key)).toBe(2);
      expect(await kv.cas(key, 2, 4)).toBe(true);
      expect(await kv.get(key)).toBe(4);
      expect(await listed(kv, key.slice(0, -1) as unknown as KvKey)).toEqual([[key, 4]]);
      await kv.delete(key);
      expect(await kv.get(key)).toBeUndefined();
      expect(await kv.cas(key, undefined, 5)).toBe(true);
      expect(await kv.get(key)).toBe(5);
      expect(await kv.cas(key, 5, undefined)).toBe(true);
      expect(await kv.get(key)).toBeUndefined();
    });
  }

  test("a TTL given to set is honoured even when it is shorter than the cache's", async () => {
    const { kv } = processView();
    await kv.set(circuit("b.example"), "open", {
      ttl: Temporal.Duration.from({ milliseconds: 100 }),
    });
    expect(await kv.get(circuit("b.example"))).toBe("open");
    clock += 150;
    await new Promise((r) => setTimeout(r, 150));
    expect(await kv.get(circuit("b.example"))).toBeUndefined();
  });
});

describe("writes", () => {
  test("a set of the value last written is skipped: no SQL, the row untouched", async () => {
    const { inner, kv } = processView();
    const key = spec("https://a.example");
    await kv.set(key, "draft-cavage-http-signatures-12");
    const before = await xmin(key);
    for (let i = 0; i < 10; i++) await kv.set(key, "draft-cavage-http-signatures-12");
    expect(inner.writes).toBe(1);
    expect(await xmin(key)).toBe(before);
    // A different value, or a TTL to refresh, is written.
    await kv.set(key, "rfc9421");
    expect(inner.writes).toBe(2);
    expect(await xmin(key)).not.toBe(before);
    await kv.set(key, "rfc9421", { ttl: Temporal.Duration.from({ hours: 1 }) });
    expect(inner.writes).toBe(3);
  });

  test("a value only read, not written by us, is written again (its expiry is unknown)", async () => {
    const a = processView();
    const b = processView();
    const key = spec("https://a.example");
    await b.kv.set(key, "rfc9421", { ttl: Temporal.Duration.from({ hours: 1 }) });
    expect(await a.kv.get(key)).toBe("rfc9421");
    await a.kv.set(key, "rfc9421");
    expect(a.inner.writes).toBe(1);
  });

  test("after the cache TTL an unchanged set is written once more", async () => {
    const { inner, kv } = processView({ ttlMs: 1_000 });
    const key = spec("https://a.example");
    await kv.set(key, "rfc9421");
    await kv.set(key, "rfc9421");
    expect(inner.writes).toBe(1);
    clock += 1_001;
    await kv.set(key, "rfc9421");
    expect(inner.writes).toBe(2);
  });

  test("keys outside the listed prefixes are always written", async () => {
    const { inner, kv } = processView();
    await kv.set(["haven", "x"], 1);
    await kv.set(["haven", "x"], 1);
    // A prefix match is per key element: "circuitX" is not under "circuit".
    await kv.set(["_fedify", "circuitX", "h"], 1);
    await kv.set(["_fedify", "circuitX", "h"], 1);
    expect(inner.writes).toBe(4);
  });
});

describe("reads", () => {
  test("repeated reads of a cached key, present or absent, hit SQL once per TTL", async () => {
    const { inner, kv } = processView({ ttlMs: 1_000 });
    await kv.set(spec("https://a.example"), "rfc9421");
    for (let i = 0; i < 5; i++) {
      expect(await kv.get(spec("https://a.example"))).toBe("rfc9421");
      expect(await kv.get(circuit("a.example"))).toBeUndefined();
    }
    expect(inner.reads).toBe(1); // the absent circuit state; the spec was cached by set
    clock += 1_001;
    await kv.get(spec("https://a.example"));
    await kv.get(circuit("a.example"));
    expect(inner.reads).toBe(3);
  });

  test("the cache is bounded, least recently used dropped first", async () => {
    const { inner, kv } = processView({ maxEntries: 2 });
    await kv.get(circuit("a"));
    await kv.get(circuit("b"));
    await kv.get(circuit("a")); // b is now the oldest
    await kv.get(circuit("c"));
    expect(kv.size).toBe(2);
    expect(inner.reads).toBe(3);
    await kv.get(circuit("a"));
    expect(inner.reads).toBe(3);
    await kv.get(circuit("b"));
    expect(inner.reads).toBe(4);
  });
});

describe("two processes over one database", () => {
  test("a write by one is seen by the other within the TTL", async () => {
    const a = processView({ ttlMs: 5_000 });
    const b = processView({ ttlMs: 5_000 });
    const key = spec("https://a.example");
    expect(await a.kv.get(key)).toBeUndefined();
    await b.kv.set(key, "rfc9421");
    expect(await a.kv.get(key)).toBeUndefined(); // stale, within the bound
    clock += 5_000;
    expect(await a.kv.get(key)).toBe("rfc9421");
  });

  test("a cas from a stale view fails, drops the entry, and the retry sees the truth", async () => {
    const a = processView();
    const b = processView();
    const key = circuit("down.example");
    expect(await a.kv.get(key)).toBeUndefined(); // cached absent
    await b.kv.set(key, { state: "closed", failures: ["t1"] });
    // What Fedify's circuit breaker does: read, cas, on conflict read again.
    expect(await a.kv.cas(key, undefined, { state: "closed", failures: ["t2"] })).toBe(false);
    const fresh = await a.kv.get(key);
    expect(fresh).toEqual({ state: "closed", failures: ["t1"] });
    expect(await a.kv.cas(key, fresh, { state: "open", failures: ["t1", "t2"] })).toBe(true);
    expect(await b.kv.get(key)).toEqual({ state: "closed", failures: ["t1"] }); // b's own cache
    clock += 30_000;
    expect(await b.kv.get(key)).toEqual({ state: "open", failures: ["t1", "t2"] });
  });

  test("a delete by one process is not hidden from the deleting process", async () => {
    const a = processView();
    await a.kv.set(circuit("h"), 1);
    expect(await a.kv.get(circuit("h"))).toBe(1);
    await a.kv.delete(circuit("h"));
    expect(await a.kv.get(circuit("h"))).toBeUndefined();
  });

  test("idempotency records are never cached: inbox dedup holds across processes", async () => {
    const web1 = processView();
    const web2 = processView();
    const key: KvKey = [...IDEMPOTENCE, "https://remote.example/activities/1"];
    expect(await web1.kv.get(key)).toBeUndefined();
    await web2.kv.set(key, true, { ttl: Temporal.Duration.from({ days: 1 }) });
    expect(await web1.kv.get(key)).toBe(true);
    expect(web1.kv.size).toBe(0);
  });
});
