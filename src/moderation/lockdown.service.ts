import { and, asc, eq, gt, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { localActors, lockdowns } from "../db/schema/index.ts";
import { err, ok, type Result } from "../lib/result.ts";
import { recordAudit } from "./audit.ts";
import { type ModerationActor, SYSTEM_ACTOR } from "./types.ts";

/**
 * Lockdown: while one is on (instance-wide, or for one channel) every new
 * reply is held and every new follow waits for approval; reports from other
 * servers are still accepted (nothing here touches them).
 *
 * Its end is recorded exactly once, by whoever first sees it: `DELETE`, or —
 * for one that ran out — the first check after `until` (every reply, follow
 * and listing checks). That check is one conditional UPDATE (`ended_at IS
 * NULL AND until <= now()`), so of several web or worker processes exactly
 * one gets the row back and writes `lockdown.end`; no advisory lock or
 * timer is needed, and an expired lockdown never holds anything because the
 * active test compares `until` with the clock in the same query.
 */

export type Lockdown = typeof lockdowns.$inferSelect;
export interface LockdownView extends Lockdown {
  /** The channel's handle; null when instance-wide. */
  channel: string | null;
}

/** Default length: a day, long enough to outlast a raid, short enough not to be forgotten. */
export const DEFAULT_LOCKDOWN_MS = 24 * 60 * 60 * 1000;
/** Longest lockdown: 90 days. Longer is a policy change, not an emergency (set the channel to approval). */
export const MAX_LOCKDOWN_MS = 90 * 24 * 60 * 60 * 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function view(row: Lockdown, channel: string | null): LockdownView {
  return { ...row, channel };
}

export async function startLockdown(
  db: Db,
  input: { channel: { id: string; handle: string } | null; until?: Date },
  actor: ModerationActor,
  now = new Date(),
): Promise<Result<LockdownView>> {
  const until = input.until ?? new Date(now.getTime() + DEFAULT_LOCKDOWN_MS);
  if (Number.isNaN(until.getTime())) return err("invalid", "until must be an ISO 8601 time");
  if (until <= now) return err("invalid", "until must be in the future");
  if (until.getTime() - now.getTime() > MAX_LOCKDOWN_MS) {
    return err("invalid", "until must be at most 90 days ahead");
  }
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(lockdowns)
      .values({
        channelId: input.channel?.id ?? null,
        until,
        startedBy: actor.kind === "account" ? actor.accountId : null,
      })
      .returning();
    await recordAudit(tx, {
      actor,
      action: "lockdown.start",
      target: row!.id,
      details: { channel: input.channel?.handle ?? null, until: until.toISOString() },
      source: "manual",
    });
    return ok(view(row!, input.channel?.handle ?? null));
  });
}

/** Records the end of every lockdown that ran out and is not yet recorded as ended. */
export async function expireLockdowns(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    const ended = await tx
      .update(lockdowns)
      .set({ endedAt: sql`${lockdowns.until}` })
      .where(and(isNull(lockdowns.endedAt), lte(lockdowns.until, sql`now()`)))
      .returning();
    for (const row of ended) {
      await recordAudit(tx, {
        actor: SYSTEM_ACTOR,
        action: "lockdown.end",
        target: row.id,
        details: { channel_id: row.channelId, until: row.until.toISOString(), expired: true },
        source: "system",
      });
    }
  });
}

/** Ends one early. `channelId` limits it to that channel's lockdowns (a manager's view). */
export async function endLockdown(
  db: Db,
  id: string,
  actor: ModerationActor,
  channelId?: string,
): Promise<Lockdown | null> {
  if (!UUID.test(id)) return null;
  await expireLockdowns(db);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(lockdowns)
      .set({ endedAt: new Date() })
      .where(
        and(
          eq(lockdowns.id, id),
          isNull(lockdowns.endedAt),
          channelId === undefined ? undefined : eq(lockdowns.channelId, channelId),
        ),
      )
      .returning();
    if (!row) return null;
    await recordAudit(tx, {
      actor,
      action: "lockdown.end",
      target: row.id,
      details: { channel_id: row.channelId, until: row.until.toISOString(), expired: false },
      source: "manual",
    });
    return row;
  });
}

/** Active lockdowns, oldest first; `channelId` narrows to that channel's own. */
export async function listActiveLockdowns(db: Db, channelId?: string): Promise<LockdownView[]> {
  await expireLockdowns(db);
  const rows = await db
    .select({ lockdown: lockdowns, channel: localActors.handle })
    .from(lockdowns)
    .leftJoin(localActors, eq(localActors.id, lockdowns.channelId))
    .where(
      and(
        isNull(lockdowns.endedAt),
        gt(lockdowns.until, sql`now()`),
        channelId === undefined ? undefined : eq(lockdowns.channelId, channelId),
      ),
    )
    .orderBy(asc(lockdowns.createdAt));
  return rows.map((r) => view(r.lockdown, r.channel));
}

/** Whether the instance, or this local actor (a channel), is locked down now. */
export async function isLockedDown(db: Db, actorId: string): Promise<boolean> {
  await expireLockdowns(db);
  const rows = await db
    .select({ id: lockdowns.id })
    .from(lockdowns)
    .where(
      and(
        isNull(lockdowns.endedAt),
        gt(lockdowns.until, sql`now()`),
        or(isNull(lockdowns.channelId), eq(lockdowns.channelId, actorId)),
      ),
    )
    .limit(1);
  return rows.length > 0;
}
