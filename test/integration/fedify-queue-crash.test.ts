import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import { PostgresMessageQueue } from "../../federation/storage/index.ts";
import { openPostgres, queryRows } from "../../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

/**
 * Waits for a condition. The deadlines are generous on purpose: they only
 * bound a test that would otherwise hang, on a CI machine that may be slow;
 * timing claims are asserted separately (`at - killedAt`, lease lengths).
 */
async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Row extends Record<string, unknown> {
  attempts: number;
  locked_by: string | null;
}
async function messageRows(queue: string): Promise<Row[]> {
  return queryRows<Row>(
    t.database.db,
    sql`SELECT attempts, locked_by FROM fedify_messages WHERE queue = ${queue}`,
  );
}

/** Takes over whatever `queue` holds; records what it handled and when. */
function survivor(queue: string) {
  const handled: { message: unknown; at: number }[] = [];
  const stop = new AbortController();
  const mq = new PostgresMessageQueue(t.database, { queue, pollIntervalMs: 100 });
  const listening = mq.listen((message) => void handled.push({ message, at: Date.now() }), {
    signal: stop.signal,
  });
  return {
    handled,
    async stop() {
      stop.abort();
      await listening;
    },
  };
}

test("a worker that dies mid-job loses its lease; another worker runs the message", async () => {
  if (t.url === null) return; // needs a second connection pool to kill
  const queue = "abandoned";
  const dying = openPostgres(t.url, { max: 2 });
  const crashed = new PostgresMessageQueue(dying, {
    queue,
    leaseMs: 1_000,
    pollIntervalMs: 100,
    shutdownTimeoutMs: 0,
  });
  let startedAt = 0;
  const stopCrashed = new AbortController();
  const crashedListening = crashed.listen(
    () => {
      startedAt = Date.now();
      return new Promise<void>(() => {}); // never finishes
    },
    { signal: stopCrashed.signal },
  );
  await crashed.enqueue({ job: 1 });
  await waitUntil(() => startedAt > 0);
  // The "process" loses its database: no heartbeat, no release, no delete.
  await dying.close();
  stopCrashed.abort();
  await crashedListening;
  expect(await messageRows(queue)).toMatchObject([{ attempts: 1, locked_by: expect.any(String) }]);

  const other = survivor(queue);
  await waitUntil(() => other.handled.length === 1);
  expect(other.handled[0]!.message).toEqual({ job: 1 });
  expect(other.handled[0]!.at - startedAt).toBeGreaterThanOrEqual(900);
  await waitUntil(async () => (await messageRows(queue)).length === 0);
  await other.stop();
});

test("shutdown returns a straggler's message to the queue at once", async () => {
  const queue = "straggler";
  const mq = new PostgresMessageQueue(t.database, { queue, shutdownTimeoutMs: 100 });
  let started = false;
  const stop = new AbortController();
  const listening = mq.listen(
    () => {
      started = true;
      return new Promise<void>(() => {});
    },
    { signal: stop.signal },
  );
  await mq.enqueue("long job");
  await waitUntil(() => started);
  const abortedAt = Date.now();
  stop.abort();
  await listening;
  expect(Date.now() - abortedAt).toBeLessThan(1_000);
  expect(await messageRows(queue)).toMatchObject([{ attempts: 1, locked_by: null }]);
  const other = survivor(queue); // the 60 s lease did not have to run out
  await waitUntil(() => other.handled.length === 1);
  await waitUntil(async () => (await messageRows(queue)).length === 0);
  await other.stop();
});

test("a hung handler times out; its message is retried, not lost", async () => {
  const queue = "hung";
  const mq = new PostgresMessageQueue(t.database, {
    queue,
    handlerTimeoutMs: 200,
    retryBackoffMs: () => 50,
    pollIntervalMs: 100,
  });
  let calls = 0;
  const stop = new AbortController();
  const listening = mq.listen(
    () => {
      calls++;
      if (calls === 1) return new Promise<void>(() => {});
    },
    { signal: stop.signal },
  );
  await mq.enqueue("sometimes hangs");
  await waitUntil(async () => calls === 2 && (await messageRows(queue)).length === 0);
  stop.abort();
  await listening;
  expect(calls).toBe(2);
});

test("a slow handler keeps its lease alive and runs only once", async () => {
  const queue = "slow";
  const slow = new PostgresMessageQueue(t.database, {
    queue,
    leaseMs: 600,
    heartbeatMs: 150,
    pollIntervalMs: 100,
  });
  let runs = 0;
  const stopSlow = new AbortController();
  const slowListening = slow.listen(
    async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 2_000));
    },
    { signal: stopSlow.signal },
  );
  await slow.enqueue("slow job");
  await waitUntil(() => runs === 1);
  const other = survivor(queue); // polls every 100 ms for an expired lease
  await waitUntil(async () => (await messageRows(queue)).length === 0);
  stopSlow.abort();
  await slowListening;
  await other.stop();
  expect(runs).toBe(1);
  expect(other.handled).toEqual([]);
});

test("kill -9 of a worker process: the message survives and runs elsewhere", async () => {
  if (t.url === null) return; // embedded PGlite cannot be shared by two processes
  const queue = "killed";
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(new URL("./fedify-queue-crash-child.ts", import.meta.url)),
      t.url,
      queue,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += String(chunk);
  });
  try {
    await waitUntil(() => out.includes("listening"), 60_000);
    await new PostgresMessageQueue(t.database, { queue }).enqueue({ job: "k" });
    await waitUntil(() => out.includes('started {"job":"k"}'));
    const [held] = await messageRows(queue);
    expect(held?.locked_by).toContain(`:${child.pid}:`);
  } finally {
    child.kill("SIGKILL");
  }
  const killedAt = Date.now();
  const other = survivor(queue);
  await waitUntil(() => other.handled.length === 1);
  expect(other.handled[0]!.message).toEqual({ job: "k" });
  // Not before the lease (1 s, renewed every ~333 ms) ran out.
  expect(other.handled[0]!.at - killedAt).toBeGreaterThanOrEqual(500);
  await waitUntil(async () => (await messageRows(queue)).length === 0);
  await other.stop();
});
