import { inArray, sql } from "drizzle-orm";
import { expect } from "vitest";
import { DELIVERY_QUEUE } from "../../federation/outbound/delivery-payloads.ts";
import type { Db } from "../../src/db/client.ts";
import { fedifyMessages } from "../../src/db/schema/index.ts";

/**
 * Every queue an inbound activity's consequences pass through: the inbox,
 * domain events, Fedify's outbox and fan-out stages, and our deliveries.
 * When all are empty, every answer (an Accept, say) has been sent.
 */
export const EVERY_QUEUE = ["inbox", "events", "outbox", "fanout", DELIVERY_QUEUE];

/**
 * Resolves once Haven's inbox queue (or the named queues) is empty: every accepted delivery has
 * been handled. Lets a test assert that something did NOT happen without sleeping for a guessed
 * time. With EVERY_QUEUE: also every answer has been sent.
 */
export async function inboxDrained(db: Db, queues: string[] = ["inbox"]): Promise<void> {
  await expect
    .poll(
      async () => {
        const [row] = await db
          .select({ n: sql<number>`count(*)::int` })
          .from(fedifyMessages)
          .where(inArray(fedifyMessages.queue, queues));
        return row?.n;
      },
      { timeout: 30_000, interval: 25 },
    )
    .toBe(0);
}
