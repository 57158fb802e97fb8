/**
 * Haven's delivery path under remote faults (SECURITY.md "Reliability" 40,
 * 42, 43): `Retry-After` is honoured, a host that keeps failing trips the
 * circuit breaker (held, then probed, then cleared by its first success),
 * and a remote that never answers does not hold the delivery slot a healthy
 * host is waiting for.
 */
import { createExponentialBackoffPolicy } from "@fedify/fedify";
import { afterEach, beforeEach, expect, test } from "vitest";
import type { DepsOverrides } from "../../src/app.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeRemote,
  type InboxAttempt,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
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

async function setup(
  env: Record<string, string> = {},
  overrides: Omit<DepsOverrides, "database"> = {},
): Promise<void> {
  t = await createTestDatabase();
  haven = await startHaven(t.database, {
    env,
    overrides: { outboxRetryPolicy: FAST_RETRIES, ...overrides },
  });
  channel = await createTestChannel(haven, "ana", "calm");
}

async function follower(host: string, name: string): Promise<FakeRemote> {
  const remote = await startFakeRemote({ kind: "mastodon", host });
  remotes.push(remote);
  await followChannel(remote, await remote.addActor(name), channel);
  return remote;
}

const isCreate = (a: InboxAttempt) => a.raw.includes('"Create"');
const createAttempts = (r: FakeRemote) => r.attempts.filter(isCreate);
const gaps = (attempts: InboxAttempt[]) =>
  attempts.slice(1).map((a, i) => a.receivedAt.getTime() - attempts[i]!.receivedAt.getTime());

beforeEach(() => {
  expect.hasAssertions();
});
afterEach(async () => {
  await haven?.close();
  await Promise.all(remotes.map((r) => r.close()));
  remotes = [];
  await t?.close();
});

test("429 with Retry-After: the next attempt waits that long, then delivers once", async () => {
  await setup();
  const remote = await follower("127.0.0.4", "amy");
  let answered = 0;
  remote.setInboxBehaviour((a) =>
    isCreate(a) && answered++ === 0 ? { status: 429, headers: { "Retry-After": "2" } } : undefined,
  );
  await publishVideo(haven, channel);
  await expect
    .poll(() => createAttempts(remote).map((a) => a.status), { timeout: 15_000 })
    .toEqual([429, 202]);
  const [wait] = gaps(createAttempts(remote));
  expect(wait).toBeGreaterThanOrEqual(1_900); // not the policy's 300 ms
});

test("a host failing again and again trips the circuit: held, probed, cleared by success", async () => {
  const recoveryMs = 4_000;
  await setup({}, { circuitBreaker: { recoveryDelay: { milliseconds: recoveryMs } } });
  const remote = await follower("127.0.0.5", "ben");
  let failures = 0;
  remote.setInboxBehaviour((a) => (isCreate(a) && failures++ < 5 ? { status: 500 } : undefined));
  await publishVideo(haven, channel);
  await expect
    .poll(() => createAttempts(remote).map((a) => a.status), { timeout: 25_000 })
    .toEqual([500, 500, 500, 500, 500, 202]);
  const attempts = createAttempts(remote);
  // Retries follow the policy (≤ 2 s apart) until the fifth failure opens
  // the circuit; the next POST is the breaker's probe, a recovery delay later.
  const between = gaps(attempts);
  expect(between.slice(0, 4).every((ms) => ms < 3_500)).toBe(true);
  expect(between[4]).toBeGreaterThanOrEqual(recoveryMs - 200);
  // The success closed it: nothing is held for this host any more.
  await expect.poll(() => haven.deps.kv.get(["_fedify", "circuit", remote.domain])).toBeUndefined();
});

test("a remote that never answers does not hold the only delivery slot", async () => {
  await setup({ DELIVERY_CONCURRENCY: "1" });
  const dead = await follower("127.0.0.6", "cat");
  dead.setInboxBehaviour((a) => (isCreate(a) ? { hang: true } : undefined));
  await publishVideo(haven, channel);
  await expect.poll(() => createAttempts(dead).length, { timeout: 15_000 }).toBe(1);
  const hungAt = createAttempts(dead)[0]!.receivedAt.getTime();

  // While that POST hangs (until the 10 s deadline), the Accept for a new
  // follower on a healthy host goes out through the same single slot.
  const healthy = await follower("127.0.0.7", "dan");
  const accept = healthy.deliveries.find((d) => d.body?.type === "Accept");
  expect(accept?.verified).toBe(true);
  // It waited about SLOW_AFTER_MS (1 s) for the slot, not the 10 s deadline.
  expect(accept!.receivedAt.getTime() - hungAt).toBeLessThan(3_000);
  expect(createAttempts(dead)[0]!.status).toBeUndefined(); // still hanging
});
