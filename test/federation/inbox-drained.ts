import { eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import type { Db } from "../../src/db/client.ts";
import { fedifyMessages } from "../../src/db/schema/index.ts";

/**
 * Resolves once Haven's inbox queue is empty: every accepted delivery has been handled. Lets a
 * test assert that something did NOT happen without sleeping for a guessed time.
 */
export async function inboxDrained(db: Db): Promise<void> {
  await expect
    .poll(
      async () => {
        const [row] = await db
          .select({ n: sql<number>`count(*)::int` })
          .from(fedifyMessages)
          .where(eq(fedifyMessages.queue, "inbox"));
        return row?.n;
      },
      { timeout: 10_000, interval: 25 },
    )
    .toBe(0);
}
