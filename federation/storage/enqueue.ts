import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { durationToMs, toJsonText } from "./json.ts";

// This file imports nothing from Fedify so that the composition root can hand
// `enqueueInTransaction` to core services as a plain function.

/** The LISTEN/NOTIFY channel; the payload is the queue name. */
export const QUEUE_CHANNEL = "haven_queue";

/**
 * Rows per INSERT. Small on purpose: a fan-out's rows are serialised one
 * chunk at a time, so the JSON of 10,000 deliveries never exists all at once
 * (nor postgres.js's write buffer for it); 500 keeps a statement well under
 * PostgreSQL's 65,535 parameters and costs one round trip per 500 rows.
 */
export const ROWS_PER_STATEMENT = 500;

/** Same shape as Fedify's `MessageQueueEnqueueOptions`. */
export interface EnqueueOptions {
  /** Not visible to workers before this has elapsed (from the INSERT). */
  readonly delay?: Temporal.Duration;
  /** Messages sharing a key run one at a time, in enqueue order. */
  readonly orderingKey?: string;
}

/**
 * Inserts one message into the logical queue `queue` and notifies listeners.
 * `db` may be an open transaction: the message (and its NOTIFY, which
 * PostgreSQL delivers at commit) then exists only if the transaction commits.
 */
export function enqueueInTransaction(
  db: Db,
  queue: string,
  message: unknown,
  options?: EnqueueOptions,
): Promise<void> {
  return enqueueManyInTransaction(db, queue, [message], options);
}

/** Several messages in one INSERT; with an `orderingKey` they run in array order. */
export async function enqueueManyInTransaction(
  db: Db,
  queue: string,
  messages: readonly unknown[],
  options?: EnqueueOptions,
): Promise<void> {
  if (messages.length === 0) return;
  const delayMs = options?.delay === undefined ? 0 : durationToMs(options.delay);
  const deliverAt =
    delayMs === 0 ? sql`now()` : sql`now() + ${delayMs}::float8 * interval '1 millisecond'`;
  const orderingKey = options?.orderingKey ?? null;
  // Serialised lazily, chunk by chunk (see ROWS_PER_STATEMENT).
  const chunk = (start: number) =>
    messages
      .slice(start, start + ROWS_PER_STATEMENT)
      .map((m) => sql`(${queue}, ${toJsonText(m)}::json, ${orderingKey}::text, ${deliverAt})`);
  const insertAndNotify = (tx: Db, rows: SQL[]) =>
    // One statement: the INSERT runs even though the SELECT does not read it.
    // Identity values follow the VALUES order, which is the enqueue order.
    tx.execute(sql`
      WITH inserted AS (
        INSERT INTO fedify_messages (queue, message, ordering_key, deliver_at)
        VALUES ${sql.join(rows, sql`, `)})
      SELECT pg_notify(${QUEUE_CHANNEL}, ${queue})`);
  if (messages.length <= ROWS_PER_STATEMENT) {
    await insertAndNotify(db, chunk(0));
    return;
  }
  // All or nothing, like a single statement.
  await db.transaction(async (tx) => {
    for (let i = 0; i < messages.length; i += ROWS_PER_STATEMENT) {
      await insertAndNotify(tx, chunk(i));
    }
  });
}
