import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";

/**
 * Anonymous reports per address: 5 in a 10-minute window. Enough for a
 * visitor to report a video and a few comments on it; a flood from one
 * address (which would bury an at-risk report) stops at the sixth.
 */
export const ANONYMOUS_REPORT_LIMIT = 5;
export const ANONYMOUS_REPORT_WINDOW_SECONDS = 600;

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Counts one report from `address` in a fixed window, atomically: the
 * upsert's row lock orders concurrent requests from every web process, so
 * exactly `limit` pass per window. Run it in the report's own transaction
 * so a report that is not stored is not counted either.
 */
export async function takeReportSlot(
  tx: Db,
  address: string,
  limit = ANONYMOUS_REPORT_LIMIT,
  windowSeconds = ANONYMOUS_REPORT_WINDOW_SECONDS,
): Promise<RateDecision> {
  const window = sql`make_interval(secs => ${windowSeconds})`;
  const [row] = await queryRows<{ count: number; retry_after: number }>(
    tx,
    sql`INSERT INTO report_rate_limits AS r (address, window_started_at, count)
        VALUES (${address}, now(), 1)
        ON CONFLICT (address) DO UPDATE SET
          count = CASE WHEN r.window_started_at <= now() - ${window} THEN 1 ELSE r.count + 1 END,
          window_started_at = CASE WHEN r.window_started_at <= now() - ${window}
                                   THEN now() ELSE r.window_started_at END
        RETURNING count,
          ceil(extract(epoch FROM (window_started_at + ${window} - now())))::int AS retry_after`,
  );
  if (row && row.count > limit) {
    return { ok: false, retryAfterSeconds: Math.max(1, row.retry_after) };
  }
  return { ok: true };
}

/** Forgets windows that ended (called now and then; a row is an address). */
export async function sweepReportSlots(
  db: Db,
  windowSeconds = ANONYMOUS_REPORT_WINDOW_SECONDS,
): Promise<void> {
  await db.execute(
    sql`DELETE FROM report_rate_limits
         WHERE window_started_at <= now() - make_interval(secs => ${windowSeconds})`,
  );
}
