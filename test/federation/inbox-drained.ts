import { inArray, sql } from "drizzle-orm";
import { expect } from "vitest";
import type { Db } from "../../src/db/client.ts";
import { fedifyMessages } from "../../src/db/schema/index.ts";

/**
 * Resolves once Haven's inbox queue (or the named queues) is empty: every accepted delivery has
 * been handled. Lets a test assert that something did NOT happen without sleeping for a guessed
 * time. With ["inbox", "events", "outbox", "raw-outbox"]: also every answer has been sent.
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
      { timeout: 10_000, interval: 25 },
    )
    .toBe(0);
}
