import { sql } from "drizzle-orm";
import {
  bigint,
  customType,
  index,
  integer,
  json,
  pgTable,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

/**
 * Text compared byte by byte, whatever the database's default collation:
 * KV keys are JSON-encoded arrays, and `list(prefix)` is a btree range scan
 * over them, which only holds under a bytewise ("C") order.
 */
const bytewiseText = customType<{ data: string }>({
  dataType: () => 'text COLLATE "C"',
});

/**
 * Fedify's key–value store (caches, idempotency records, circuit-breaker
 * state). A normal logged table: it survives a crash.
 */
export const fedifyKv = pgTable(
  "fedify_kv",
  {
    /** `JSON.stringify(key)` of the Fedify `KvKey` (an array of strings). */
    key: bytewiseText().primaryKey(),
    /** `json`, not `jsonb`: remote documents may hold `\u0000`, which jsonb refuses. */
    value: json().notNull(),
    /** Null = never expires. Expired rows are invisible and purged lazily. */
    expiresAt: timestamp({ withTimezone: true }),
  },
  (t) => [index("fedify_kv_expires_at_idx").on(t.expiresAt).where(sql`expires_at IS NOT NULL`)],
);

/**
 * Durable messages of Fedify's queues (inbox, outbox, fanout) and of our own
 * logical queues, told apart by `queue`. A row is deleted only after its
 * handler succeeded (at-least-once); a worker holds it with a lease.
 */
export const fedifyMessages = pgTable(
  "fedify_messages",
  {
    /** Enqueue order; same-`orderingKey` messages run in this order. */
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    queue: text().notNull(),
    message: json().notNull(),
    orderingKey: text(),
    /** Not visible to workers before this time (delay, retry backoff). */
    deliverAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Lease of the worker running it; an expired lease makes it visible again. */
    lockedUntil: timestamp({ withTimezone: true }),
    lockedBy: text(),
    /** Claims so far, including ones that ended in a crash. */
    attempts: integer().notNull().default(0),
    lastError: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("fedify_messages_queue_deliver_at_idx").on(t.queue, t.deliverAt, t.id),
    index("fedify_messages_queue_ordering_key_idx")
      .on(t.queue, t.orderingKey, t.id)
      .where(sql`ordering_key IS NOT NULL`),
  ],
);

/**
 * The body of an outgoing activity, stored once however many inboxes receive
 * it: each delivery (a small `fedify_messages` row of the `raw-outbox` queue)
 * names its payload by id. Deleted by a sweep once no delivery refers to it
 * (federation/outbound/delivery-payloads.ts).
 */
export const deliveryPayloads = pgTable("delivery_payloads", {
  id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  activityId: text().notNull(),
  activityType: text().notNull(),
  /** Handle of the local actor whose RSA key signs the POSTs. */
  sender: text().notNull(),
  keyId: text().notNull(),
  /** The exact bytes to post (UTF-8 JSON); never re-serialised. */
  body: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
