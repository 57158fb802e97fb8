/**
 * Every Fedify delivery has a deadline (SECURITY.md "Bounds", GHSA-9pmv-w936-hj3f;
 * reliability 43): an inbox that never answers is abandoned at the deadline and
 * retried later, not lost and not holding a delivery slot, while a healthy
 * follower on another host gets its delivery at once.
 */
import { createExponentialBackoffPolicy } from "@fedify/fedify";
import { afterEach, expect, test } from "vitest";
import { fetchDeadlineMs, installFetchDeadline } from "../../federation/outbound/fetch-deadline.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeRemote,
  type InboxAttempt,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, followChannel, publishVideo } from "../support/video-fixtures.ts";

const DEADLINE_MS = 1_000;
const FAST_RETRIES = createExponentialBackoffPolicy({
  maxAttempts: 10,
  initialDelay: { milliseconds: 300 },
  maxDelay: { seconds: 2 },
  factor: 2,
  jitter: false,
});

let t: TestDatabase | undefined;
let haven: TestHaven | undefined;
let remotes: FakeRemote[] = [];

afterEach(async () => {
  await haven?.close();
  await Promise.all(remotes.map((r) => r.close()));
  remotes = [];
  await t?.close();
  installFetchDeadline(); // back to the default for whatever runs next
});

const isCreate = (a: InboxAttempt) => {
  try {
    return (JSON.parse(a.raw) as JsonObject).type === "Create";
  } catch {
    return false;
  }
};

test("a hanging inbox is cut off at the deadline and retried; a healthy host is not held up", async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, {
    overrides: { outboxRetryPolicy: FAST_RETRIES, fetchDeadlineMs: DEADLINE_MS },
  });
  expect(fetchDeadlineMs()).toBe(DEADLINE_MS);
  const channel = await createTestChannel(haven, "ana", "calm");
  const dead = await startFakeRemote({ kind: "mastodon", host: "127.0.0.4" });
  const healthy = await startFakeRemote({ kind: "mastodon", host: "127.0.0.6" });
  remotes.push(dead, healthy);
  const alice = await dead.addActor("alice");
  const bob = await healthy.addActor("bob");
  await followChannel(dead, alice, channel);
  await followChannel(healthy, bob, channel);
  let hung = 0;
  dead.setInboxBehaviour((attempt) =>
    isCreate(attempt) && hung++ < 1 ? { hang: true } : undefined,
  );

  const published = Date.now();
  await publishVideo(haven, channel);
  const toBob = await healthy.waitForDelivery((d) => d.body?.type === "Create", {
    timeoutMs: 10_000,
  });
  const toAlice = await dead.waitForDelivery((d) => d.body?.type === "Create", {
    timeoutMs: 15_000,
  });

  expect(toBob.verified).toBe(true);
  expect(toAlice.verified).toBe(true);
  const attempts = dead.attempts.filter(isCreate);
  const first = attempts[0]!;
  expect(first.status).toBeUndefined(); // never answered
  // Bob's delivery did not wait for the hanging one.
  expect(toBob.receivedAt.getTime() - first.receivedAt.getTime()).toBeLessThan(DEADLINE_MS);
  // The retry came only after the deadline (plus backoff) cut the first attempt off.
  expect(toAlice.receivedAt.getTime() - first.receivedAt.getTime()).toBeGreaterThanOrEqual(
    DEADLINE_MS,
  );
  expect(toAlice.receivedAt.getTime() - published).toBeLessThan(10_000);
  await new Promise((r) => setTimeout(r, 1_000)); // nothing more may come
  expect(dead.deliveries.filter((d) => d.body?.type === "Create")).toHaveLength(1);
  expect(healthy.deliveries.filter((d) => d.body?.type === "Create")).toHaveLength(1);
});

test("installing the deadline again replaces it instead of wrapping fetch twice", async () => {
  installFetchDeadline(5_000);
  const wrapped = globalThis.fetch;
  installFetchDeadline(200);
  expect(globalThis.fetch).toBe(wrapped);
  expect(fetchDeadlineMs()).toBe(200);
  expect(() => installFetchDeadline(0)).toThrow(RangeError);

  // A caller's own signal still works, combined with the deadline.
  const own = new AbortController();
  own.abort(new Error("caller gave up"));
  await expect(fetch("http://127.0.0.1:9/", { signal: own.signal })).rejects.toThrow(
    "caller gave up",
  );
});
