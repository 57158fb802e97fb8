import { type SQL, sql } from "drizzle-orm";
import { type Db, queryRows } from "../../src/db/client.ts";

/** A message a worker holds a lease on. */
export interface ClaimedMessage {
  /** bigint as a decimal string (drivers disagree on int8). */
  readonly id: string;
  readonly message: unknown;
  /** Claims including this one. */
  readonly attempts: number;
}

/** `{1,2,3}`, one parameter however many ids (ids are digits from the database). */
function idArray(ids: readonly string[]): SQL {
  return sql`${`{${ids.join(",")}}`}::bigint[]`;
}

function msInterval(ms: number): SQL {
  return sql`(${ms}::float8 * interval '1 millisecond')`;
}

/**
 * Leases up to `limit` ready messages of `queue` to `worker`.
 *
 * A message with an ordering key is eligible only while it is the oldest
 * remaining message with that key: rows are deleted only after their handler
 * succeeded, so while an older one is running, waiting for a retry, or held
 * by a crashed worker's lease, its successors stay put. That gives both "one
 * at a time" and "in enqueue order" per key, across processes, without locks
 * held during the handler. `SKIP LOCKED` lets concurrent claimers pass each
 * other's candidate rows instead of queueing behind them.
 */
export async function claimMessages(
  db: Db,
  queue: string,
  worker: string,
  limit: number,
  leaseMs: number,
): Promise<ClaimedMessage[]> {
  return queryRows<{ id: string; message: unknown; attempts: number }>(
    db,
    sql`
    WITH candidates AS (
      SELECT m.id FROM fedify_messages m
      WHERE m.queue = ${queue}
        AND m.deliver_at <= now()
        AND (m.locked_until IS NULL OR m.locked_until < now())
        AND (m.ordering_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM fedify_messages older
          WHERE older.queue = m.queue AND older.ordering_key = m.ordering_key AND older.id < m.id))
      ORDER BY m.deliver_at, m.id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE fedify_messages f
    SET locked_until = now() + ${msInterval(leaseMs)}, locked_by = ${worker}, attempts = f.attempts + 1
    FROM candidates WHERE f.id = candidates.id
    RETURNING f.id::text AS id, f.message, f.attempts`,
  );
}

/** Deletes messages whose handler succeeded, unless another worker took them over. */
export async function deleteMessages(db: Db, worker: string, ids: readonly string[]) {
  await db.execute(
    sql`DELETE FROM fedify_messages WHERE id = ANY(${idArray(ids)}) AND locked_by = ${worker}`,
  );
}

/** After a failed (or abandoned) run: visible again after `backoffMs`, the attempt counted. */
export async function releaseForRetry(
  db: Db,
  worker: string,
  ids: readonly string[],
  backoffMs: number,
  error: string,
) {
  await db.execute(sql`
    UPDATE fedify_messages
    SET locked_until = NULL, locked_by = NULL, deliver_at = now() + ${msInterval(backoffMs)},
        last_error = ${error}
    WHERE id = ANY(${idArray(ids)}) AND locked_by = ${worker}`);
}

/** Claimed but never started (shutdown): visible at once, the claim not counted. */
export async function releaseUnstarted(db: Db, worker: string, ids: readonly string[]) {
  await db.execute(sql`
    UPDATE fedify_messages
    SET locked_until = NULL, locked_by = NULL, attempts = greatest(attempts - 1, 0)
    WHERE id = ANY(${idArray(ids)}) AND locked_by = ${worker}`);
}

/** Extends the lease of messages still being handled. Returns the ids still held. */
export async function renewLeases(
  db: Db,
  worker: string,
  ids: readonly string[],
  leaseMs: number,
): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`UPDATE fedify_messages SET locked_until = now() + ${msInterval(leaseMs)}
        WHERE id = ANY(${idArray(ids)}) AND locked_by = ${worker}
        RETURNING id::text AS id`,
  );
  return rows.map((r) => r.id);
}

/**
 * Milliseconds until the next delayed (or backed-off) message of `queue`
 * becomes due, or null if none. Expired leases are left to the slow poll.
 */
export async function msUntilNextDue(db: Db, queue: string): Promise<number | null> {
  const rows = await queryRows<{ ms: number | null }>(
    db,
    sql`SELECT (extract(epoch FROM min(deliver_at) - now()) * 1000)::float8 AS ms
        FROM fedify_messages WHERE queue = ${queue} AND deliver_at > now()`,
  );
  const ms = rows[0]?.ms;
  return ms === null || ms === undefined ? null : Number(ms);
}

export interface QueueDepth {
  readonly queued: number;
  readonly ready: number;
  readonly delayed: number;
}

/** Messages waiting (not leased to a live worker), split by ready/delayed. */
export async function queueDepth(db: Db, queue: string): Promise<QueueDepth> {
  const rows = await queryRows<{ ready: number; delayed: number }>(
    db,
    sql`SELECT count(*) FILTER (WHERE deliver_at <= now())::int AS ready,
               count(*) FILTER (WHERE deliver_at > now())::int AS delayed
        FROM fedify_messages
        WHERE queue = ${queue} AND (locked_until IS NULL OR locked_until < now())`,
  );
  const ready = Number(rows[0]?.ready ?? 0);
  const delayed = Number(rows[0]?.delayed ?? 0);
  return { queued: ready + delayed, ready, delayed };
}
