import { eq, sql } from "drizzle-orm";
import { type Db, queryRows } from "../../src/db/client.ts";
import { deliveryPayloads } from "../../src/db/schema/index.ts";
import { enqueueManyInTransaction } from "../storage/enqueue.ts";

/** Logical queue in `fedify_messages` of every delivery Haven posts itself. */
export const DELIVERY_QUEUE = "raw-outbox";

/** What is posted, once per activity, whatever the number of inboxes. */
export interface Payload {
  readonly activityId: string;
  readonly activityType: string;
  /** Handle of the local actor whose RSA key signs the requests. */
  readonly sender: string;
  readonly keyId: string;
  /** The exact body to post; it is never re-serialised. */
  readonly body: string;
}

/**
 * One POST of a stored payload to one inbox: a few hundred bytes however
 * large the activity. Shaped like Fedify's outbox messages (`type: "outbox"`,
 * `inbox`, `actorIds`) so that `GuardedOutboxQueue` applies the same
 * moderation and private-address checks at send time. Carries no key
 * material: the worker signs with the sender's cached key.
 */
export interface DeliveryMessage {
  readonly type: "outbox";
  readonly kind: "delivery";
  /** `delivery_payloads.id`, as a decimal string. */
  readonly payload: string;
  readonly inbox: string;
  /** The recipients behind this inbox (moderation drops it when all are blocked). */
  readonly actorIds: readonly string[];
  /** ISO instant of the first attempt, for the retry policy's elapsed time. */
  readonly started: string;
  /** Failed attempts so far (0 on the first try), as Fedify counts them. */
  readonly attempt: number;
  /** Set while the remote host's circuit is open (Fedify's field name). */
  readonly circuitHeldSince?: string;
}

export interface DeliveryTarget {
  readonly inbox: string;
  readonly actorIds: readonly string[];
}

export function isDeliveryMessage(message: unknown): message is DeliveryMessage {
  const m = message as Partial<DeliveryMessage> | null;
  return (
    typeof m === "object" &&
    m !== null &&
    m.type === "outbox" &&
    m.kind === "delivery" &&
    typeof m.payload === "string" &&
    typeof m.inbox === "string" &&
    Array.isArray(m.actorIds) &&
    typeof m.started === "string" &&
    typeof m.attempt === "number"
  );
}

/** A raw delivery as queued before payloads (ADR 0005's first form: the body inline). */
export interface LegacyRawMessage {
  readonly kind: "raw";
  readonly activityId: string;
  readonly activityType: string;
  readonly inbox: string;
  readonly actorIds: readonly string[];
  readonly sender: string;
  readonly keyId: string;
  readonly body: string;
  readonly started: string;
  readonly attempt: number;
}

export function isLegacyRawMessage(message: unknown): message is LegacyRawMessage {
  const m = message as Partial<LegacyRawMessage> | null;
  return (
    typeof m === "object" &&
    m !== null &&
    m.kind === "raw" &&
    typeof m.activityId === "string" &&
    typeof m.activityType === "string" &&
    typeof m.inbox === "string" &&
    Array.isArray(m.actorIds) &&
    typeof m.sender === "string" &&
    typeof m.keyId === "string" &&
    typeof m.body === "string" &&
    typeof m.started === "string" &&
    typeof m.attempt === "number"
  );
}

/**
 * Stores the payload once and one small delivery row per inbox, in one
 * transaction (all or nothing; the rows are inserted 500 per statement).
 */
export async function enqueuePayload(
  db: Db,
  payload: Payload,
  targets: readonly DeliveryTarget[],
  options: { started?: string; attempt?: number; delay?: Temporal.Duration } = {},
): Promise<void> {
  if (targets.length === 0) return;
  const started = options.started ?? new Date().toISOString();
  const attempt = options.attempt ?? 0;
  await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(deliveryPayloads)
      .values(payload)
      .returning({ id: deliveryPayloads.id });
    if (!row) throw new Error("Storing a delivery payload returned no id");
    const id = String(row.id);
    const messages = targets.map(
      (t): DeliveryMessage => ({
        type: "outbox",
        kind: "delivery",
        payload: id,
        inbox: t.inbox,
        actorIds: t.actorIds,
        started,
        attempt,
      }),
    );
    await enqueueManyInTransaction(
      tx,
      DELIVERY_QUEUE,
      messages,
      options.delay ? { delay: options.delay } : undefined,
    );
  });
}

export async function loadPayload(db: Db, id: string): Promise<Payload | null> {
  if (!/^\d{1,19}$/.test(id)) return null;
  const [row] = await db
    .select({
      activityId: deliveryPayloads.activityId,
      activityType: deliveryPayloads.activityType,
      sender: deliveryPayloads.sender,
      keyId: deliveryPayloads.keyId,
      body: deliveryPayloads.body,
    })
    .from(deliveryPayloads)
    .where(eq(deliveryPayloads.id, Number(id)));
  return row ?? null;
}

/**
 * Deletes payloads no queued delivery refers to. Safe at any time: a payload
 * and its deliveries commit together, and a retry is enqueued before the
 * attempt it replaces is deleted, so a payload still needed always has a
 * visible row naming it. Returns how many went.
 */
export async function sweepPayloads(db: Db): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`DELETE FROM delivery_payloads
        WHERE id NOT IN (
          SELECT (message->>'payload')::bigint FROM fedify_messages
          WHERE queue = ${DELIVERY_QUEUE} AND message->>'payload' IS NOT NULL)
        RETURNING id::text AS id`,
  );
  return rows.length;
}
