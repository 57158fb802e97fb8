import { eq, inArray, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { instanceSettings, moderationState } from "../db/schema/index.ts";
import type { CombinationPolicy, FederationMode } from "./types.ts";

/** Postgres channel a policy cache listens on; the payload is the new version. */
export const MODERATION_CHANNEL = "haven_moderation";

/** Serialises every write to federation policy (pg advisory lock key). */
const MODERATION_LOCK_KEY = 734_205_101;

export const SETTING_FEDERATION_MODE = "moderation.federation_mode";
export const SETTING_COMBINATION_POLICY = "moderation.combination_policy";

export interface ModerationSettings {
  readonly federationMode: FederationMode;
  readonly combinationPolicy: CombinationPolicy;
}

export const DEFAULT_SETTINGS: ModerationSettings = {
  federationMode: "blocklist",
  combinationPolicy: { kind: "harshest" },
};

/**
 * Runs `fn` in a transaction holding the moderation lock, so a planner's
 * read of the current state and its writes cannot interleave with another
 * change (another admin, a subscription sync in a worker).
 */
export function withModerationLock<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${MODERATION_LOCK_KEY})`);
    return fn(tx as unknown as Db);
  });
}

/**
 * Records that policy changed: bumps the version and notifies listeners.
 * Inside the caller's transaction, so NOTIFY is delivered only on commit.
 */
export async function bumpModerationVersion(tx: Db): Promise<number> {
  const [row] = await queryRows<{ version: string | number }>(
    tx,
    sql`INSERT INTO moderation_state (id, version, changed_at) VALUES (1, 1, now())
        ON CONFLICT (id) DO UPDATE
          SET version = moderation_state.version + 1, changed_at = now()
        RETURNING version`,
  );
  const version = Number(row!.version);
  await tx.execute(sql`SELECT pg_notify(${MODERATION_CHANNEL}, ${String(version)})`);
  return version;
}

export async function readModerationVersion(db: Db): Promise<number> {
  const [row] = await db
    .select({ version: moderationState.version })
    .from(moderationState)
    .where(eq(moderationState.id, 1));
  return row?.version ?? 0;
}

export async function getModerationSettings(db: Db): Promise<ModerationSettings> {
  const rows = await db
    .select()
    .from(instanceSettings)
    .where(inArray(instanceSettings.key, [SETTING_FEDERATION_MODE, SETTING_COMBINATION_POLICY]));
  let federationMode = DEFAULT_SETTINGS.federationMode;
  let combinationPolicy = DEFAULT_SETTINGS.combinationPolicy;
  for (const row of rows) {
    if (row.key === SETTING_FEDERATION_MODE && row.value === "allowlist") {
      federationMode = "allowlist";
    }
    if (row.key === SETTING_COMBINATION_POLICY) {
      combinationPolicy = readCombinationPolicy(row.value) ?? combinationPolicy;
    }
  }
  return { federationMode, combinationPolicy };
}

/** A stored or submitted policy; null when it is not one. */
export function readCombinationPolicy(value: unknown): CombinationPolicy | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.kind === "harshest") return { kind: "harshest" };
  if (v.kind === "priority") return { kind: "priority" };
  if (
    v.kind === "threshold" &&
    typeof v.threshold === "number" &&
    Number.isInteger(v.threshold) &&
    v.threshold >= 1
  ) {
    return { kind: "threshold", threshold: v.threshold };
  }
  return null;
}

export async function writeSetting(tx: Db, key: string, value: unknown): Promise<void> {
  await tx
    .insert(instanceSettings)
    .values({ key, value })
    .onConflictDoUpdate({ target: instanceSettings.key, set: { value, updatedAt: new Date() } });
}
