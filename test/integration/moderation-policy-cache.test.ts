import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Database, openPostgres } from "../../src/db/client.ts";
import {
  allowDomain,
  blockAccount,
  blockDomain,
  createFederationPolicy,
  type FederationDecision,
  type FederationPolicy,
  type ModerationActor,
  setAllowlistMode,
  unblockDomain,
} from "../../src/moderation/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
const admin: ModerationActor = { kind: "system" };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(`expected success: ${result.error.message}`);
  return result.value;
}

async function eventually(
  check: () => Promise<FederationDecision>,
  expected: Partial<FederationDecision>,
  timeoutMs = 5_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const decision = await check();
    if (Object.entries(expected).every(([k, v]) => decision[k as keyof FederationDecision] === v)) {
      return Date.now() - started;
    }
    if (Date.now() - started > timeoutMs) {
      expect(decision).toMatchObject(expected);
      return Date.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("policy cache across connections", () => {
  test("a change made through one connection reaches a policy on another via NOTIFY", async (ctx) => {
    if (t.url === null) ctx.skip(); // needs a PostgreSQL server for two connections
    const other: Database = openPostgres(t.url!, { max: 2 });
    let policy: FederationPolicy | null = null;
    try {
      // TTL far longer than the test: only a notification can refresh it in time.
      policy = createFederationPolicy({
        db: other.db,
        localDomain: "haven.example",
        notifier: other.notifier,
        ttlMs: 10 * 60_000,
      });
      await policy.start();
      const p = policy;
      expect(await p.decideForDomain("cache.example")).toMatchObject({ action: "accept" });

      unwrap(
        await blockDomain(t.database.db, { domain: "cache.example", severity: "suspend" }, admin),
      );
      const waited = await eventually(() => p.decideForDomain("sub.cache.example"), {
        action: "reject",
      });
      expect(waited).toBeLessThan(5_000);

      unwrap(
        await blockAccount(t.database.db, { actorIri: "https://ok.example/users/troll" }, admin),
      );
      await eventually(() => p.decideForActor("https://ok.example/users/troll"), {
        reason: "account_block",
      });

      unwrap(await unblockDomain(t.database.db, { domain: "cache.example" }, admin));
      await eventually(() => p.decideForDomain("cache.example"), { action: "accept" });

      unwrap(await allowDomain(t.database.db, { domain: "friends.example" }, admin));
      unwrap(await setAllowlistMode(t.database.db, true, admin));
      await eventually(() => p.decideForDomain("stranger.example"), { reason: "not_allowlisted" });
      expect(await p.decideForDomain("friends.example")).toMatchObject({ action: "accept" });
      unwrap(await setAllowlistMode(t.database.db, false, admin));
      await eventually(() => p.decideForDomain("stranger.example"), { action: "accept" });
    } finally {
      await policy?.close();
      await other.close();
    }
  });

  test("a policy hears its own database's notifications (PostgreSQL or embedded)", async () => {
    const policy = createFederationPolicy({
      db: t.database.db,
      localDomain: "haven.example",
      notifier: t.database.notifier,
      ttlMs: 10 * 60_000,
    });
    try {
      await policy.start();
      expect(await policy.decideForDomain("same.example")).toMatchObject({ action: "accept" });
      unwrap(
        await blockDomain(t.database.db, { domain: "same.example", severity: "silence" }, admin),
      );
      await eventually(() => policy.decideForDomain("same.example"), { action: "silence" });
    } finally {
      await policy.close();
    }
  });

  test("without notifications, the TTL re-reads the version and reloads only on change", async () => {
    let now = 1_000_000;
    const policy = createFederationPolicy({
      db: t.database.db,
      localDomain: "haven.example",
      ttlMs: 1_000,
      clock: () => now,
    });
    await policy.start();
    const loadedVersion = policy.version;
    expect(await policy.decideForDomain("ttl.example")).toMatchObject({ action: "accept" });
    unwrap(await blockDomain(t.database.db, { domain: "ttl.example", severity: "suspend" }, admin));
    // Still inside the TTL: the cached copy answers.
    expect(await policy.decideForDomain("ttl.example")).toMatchObject({ action: "accept" });
    now += 1_001;
    expect(await policy.decideForDomain("ttl.example")).toMatchObject({ action: "reject" });
    expect(policy.version).toBeGreaterThan(loadedVersion);
  });

  test("decisions from the cached copy are fast", async () => {
    const policy = createFederationPolicy({ db: t.database.db, localDomain: "haven.example" });
    await policy.start();
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) {
      await policy.decideForDomain(`host${i % 500}.sub${i % 7}.example.org`);
      await policy.decideForActor(`https://peer${i % 300}.example/users/u${i}`);
    }
    // 40 000 decisions; a database round trip each would take far longer.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
