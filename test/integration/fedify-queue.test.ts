import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  enqueueInTransaction,
  PostgresMessageQueue,
  type PostgresMessageQueueOptions,
} from "../../federation/storage/index.ts";
import { type Database, openPostgres, queryRows } from "../../src/db/client.ts";
import { instanceSettings } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
let queueNo = 0;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

/** A fresh logical queue per test, so tests share the database without interfering. */
function makeQueue(overrides: Partial<PostgresMessageQueueOptions> = {}, database?: Database) {
  const queue = overrides.queue ?? `q${++queueNo}`;
  return new PostgresMessageQueue(database ?? t.database, {
    pollIntervalMs: 100,
    ...overrides,
    queue,
  });
}

// Bounds a hang only (generous for a loaded CI machine); timing claims are asserted separately.
async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function rowsLeft(queue: string): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    t.database.db,
    sql`SELECT count(*)::int AS n FROM fedify_messages WHERE queue = ${queue}`,
  );
  return Number(rows[0]?.n);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a NOTIFY wakes an idle listener at once, without waiting for the poll", async () => {
  const mq = makeQueue({ pollIntervalMs: 60_000 });
  const got: unknown[] = [];
  const stop = new AbortController();
  const listening = mq.listen((m) => void got.push(m), { signal: stop.signal });
  await pause(200); // let LISTEN settle
  const started = Date.now();
  await mq.enqueue({ hello: "world", nul: "a\u0000b" });
  await waitUntil(() => got.length === 1, 2_000);
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(got).toEqual([{ hello: "world", nul: "a\u0000b" }]);
  stop.abort();
  await listening;
  expect(await rowsLeft(mq.queue)).toBe(0);
});

test("a throwing handler's message is retried after a backoff, not lost", async () => {
  const mq = makeQueue({ retryBackoffMs: () => 150 });
  const calls: number[] = [];
  // The row as the retry finds it: read inside the second call, because the
  // state between the failure and the retry lasts only the backoff, which a
  // poller on a loaded machine can miss.
  let atRetry: { attempts: number; last_error: string | null } | undefined;
  const stop = new AbortController();
  const listening = mq.listen(
    async () => {
      calls.push(Date.now());
      if (calls.length === 2) {
        [atRetry] = await queryRows<{ attempts: number; last_error: string | null }>(
          t.database.db,
          sql`SELECT attempts, last_error FROM fedify_messages WHERE queue = ${mq.queue}`,
        );
      }
      if (calls.length < 3) throw new Error(`boom ${calls.length}`);
    },
    { signal: stop.signal },
  );
  await mq.enqueue("flaky");
  await waitUntil(() => calls.length === 3);
  // The first failure was recorded with its error, and this is the second attempt.
  expect(atRetry?.last_error).toContain("boom 1");
  expect(atRetry?.attempts).toBe(2);
  await waitUntil(async () => (await rowsLeft(mq.queue)) === 0);
  expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(140);
  stop.abort();
  await listening;
  expect(calls).toHaveLength(3);
});

test("a message that always throws is dropped after maxAttempts", async () => {
  const mq = makeQueue({ retryBackoffMs: () => 10, maxAttempts: 3 });
  let calls = 0;
  const stop = new AbortController();
  const listening = mq.listen(
    () => {
      calls++;
      throw new Error("poison");
    },
    { signal: stop.signal },
  );
  await mq.enqueue("poison");
  await waitUntil(async () => calls === 3 && (await rowsLeft(mq.queue)) === 0);
  await pause(200);
  stop.abort();
  await listening;
  expect(calls).toBe(3);
});

test("same orderingKey runs one at a time in enqueue order; different keys overlap", async () => {
  const mq = makeQueue({ concurrency: 8 });
  const other = makeQueue({ queue: mq.queue, concurrency: 8 });
  const log: { key: string; n: number; start: number; end: number }[] = [];
  const handler = async (m: unknown) => {
    const { key, n } = m as { key: string; n: number };
    const start = performance.now();
    await pause(40);
    log.push({ key, n, start, end: performance.now() });
  };
  for (let n = 1; n <= 5; n++) {
    await mq.enqueue({ key: "a", n }, { orderingKey: "a" });
    await mq.enqueue({ key: "b", n }, { orderingKey: "b" });
  }
  const stop = new AbortController();
  const listening = [
    mq.listen(handler, { signal: stop.signal }),
    other.listen(handler, { signal: stop.signal }),
  ];
  await waitUntil(() => log.length === 10);
  stop.abort();
  await Promise.all(listening);
  for (const key of ["a", "b"]) {
    const runs = log.filter((r) => r.key === key);
    expect(runs.map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.start).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    }
  }
  const a = log.filter((r) => r.key === "a");
  const b = log.filter((r) => r.key === "b");
  expect(a.some((x) => b.some((y) => x.start < y.end && y.start < x.end))).toBe(true);
});

test("runs up to `concurrency` handlers at once", async () => {
  const mq = makeQueue({ concurrency: 4 });
  let running = 0;
  let peak = 0;
  let done = 0;
  const stop = new AbortController();
  await mq.enqueueMany(Array.from({ length: 12 }, (_, i) => i));
  const listening = mq.listen(
    async () => {
      peak = Math.max(peak, ++running);
      await pause(60);
      running--;
      done++;
    },
    { signal: stop.signal },
  );
  await waitUntil(() => done === 12);
  stop.abort();
  await listening;
  expect(peak).toBe(4);
});

test("two processes share the work and never handle a message twice", async () => {
  if (t.url === null) return; // embedded PGlite: one process by design
  const secondProcess = openPostgres(t.url, { max: 4 });
  try {
    const mq1 = makeQueue({ concurrency: 8 });
    const mq2 = makeQueue({ queue: mq1.queue, concurrency: 8 }, secondProcess);
    const seen = new Map<number, string[]>();
    const handler = (who: string) => async (m: unknown) => {
      await pause(Math.random() * 10);
      seen.set(m as number, [...(seen.get(m as number) ?? []), who]);
    };
    const stop = new AbortController();
    const listening = [
      mq1.listen(handler("p1"), { signal: stop.signal }),
      mq2.listen(handler("p2"), { signal: stop.signal }),
    ];
    await pause(100);
    await mq1.enqueueMany(Array.from({ length: 300 }, (_, i) => i));
    await waitUntil(() => seen.size === 300, 10_000);
    await pause(300);
    stop.abort();
    await Promise.all(listening);
    expect([...seen.values()].filter((who) => who.length !== 1)).toEqual([]);
    const byP1 = [...seen.values()].filter((who) => who[0] === "p1").length;
    expect(byP1).toBeGreaterThan(0);
    expect(byP1).toBeLessThan(300);
    expect(await rowsLeft(mq1.queue)).toBe(0);
  } finally {
    await secondProcess.close();
  }
});

test("enqueueInTransaction commits and rolls back with the caller's transaction", async () => {
  const mq = makeQueue();
  const got: unknown[] = [];
  const stop = new AbortController();
  const listening = mq.listen((m) => void got.push(m), { signal: stop.signal });
  await t.database.db
    .transaction(async (tx) => {
      await tx.insert(instanceSettings).values({ key: "queue-test-rolled-back", value: 1 });
      await enqueueInTransaction(tx, mq.queue, "rolled back");
      throw new Error("rollback");
    })
    .catch(() => {});
  await t.database.db.transaction(async (tx) => {
    await tx.insert(instanceSettings).values({ key: "queue-test-committed", value: 2 });
    await enqueueInTransaction(tx, mq.queue, "committed");
  });
  await waitUntil(() => got.length === 1);
  await pause(300);
  stop.abort();
  await listening;
  expect(got).toEqual(["committed"]);
  const kept = await queryRows<{ key: string }>(
    t.database.db,
    sql`SELECT key FROM instance_settings WHERE key LIKE 'queue-test-%'`,
  );
  expect(kept.map((r) => r.key)).toEqual(["queue-test-committed"]);
  expect(await rowsLeft(mq.queue)).toBe(0);
});

test("getDepth counts waiting messages, split into ready and delayed", async () => {
  const mq = makeQueue();
  await mq.enqueueMany(["r1", "r2"]);
  await mq.enqueue("later", { delay: Temporal.Duration.from({ minutes: 5 }) });
  expect(await mq.getDepth()).toEqual({ queued: 3, ready: 2, delayed: 1 });
});

test("on abort, listen waits for running handlers, then deletes their messages", async () => {
  const mq = makeQueue();
  let finished = false;
  const stop = new AbortController();
  const listening = mq.listen(
    async () => {
      await pause(300);
      finished = true;
    },
    { signal: stop.signal },
  );
  await mq.enqueue("slow");
  await waitUntil(async () => {
    const rows = await queryRows(
      t.database.db,
      sql`SELECT 1 FROM fedify_messages WHERE queue = ${mq.queue} AND locked_by IS NOT NULL`,
    );
    return rows.length === 1;
  });
  stop.abort();
  await listening;
  expect(finished).toBe(true);
  expect(await rowsLeft(mq.queue)).toBe(0);
});

test("concurrent enqueues share commits (group commit), and each resolves once stored", async () => {
  const mq = makeQueue();
  await Promise.all(Array.from({ length: 200 }, (_, i) => mq.enqueue({ i })));
  // Everything awaited is stored…
  expect(await rowsLeft(mq.queue)).toBe(200);
  // …in far fewer transactions than messages: rows of one INSERT share their xmin.
  const [row] = await queryRows<{ commits: number }>(
    t.database.db,
    sql`SELECT count(DISTINCT xmin::text)::int AS commits FROM fedify_messages
        WHERE queue = ${mq.queue}`,
  );
  expect(Number(row?.commits)).toBeLessThan(20);
});

test("one message that cannot be stored fails alone; the others in its batch are stored", async () => {
  const mq = makeQueue();
  const results = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) =>
      // A BigInt cannot be serialised to JSON.
      mq.enqueue(i === 4 ? { i, bad: 1n } : { i }),
    ),
  );
  expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
  expect(results[4]?.status).toBe("rejected");
  expect(await rowsLeft(mq.queue)).toBe(9);
});
