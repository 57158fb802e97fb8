import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../db/client.ts";

/**
 * 10 failed sign-ins per account and per address in 15 minutes, then 429
 * until the window ends. A person who mistypes gets ten tries; a password
 * guesser gets 40 an hour per account, whatever number of addresses it uses
 * (the account key), and cannot spray many accounts from one address (the
 * address key). The counts live in PostgreSQL, so every web process sees them.
 */
export const SIGN_IN_FAILURE_LIMIT = 10;
export const SIGN_IN_WINDOW_SECONDS = 15 * 60;

export const accountKey = (username: string) => `account:${username.trim().toLowerCase()}`;
export const addressKey = (rateKey: string) => `address:${rateKey}`;

/** Seconds until a blocked key may try again; null when none of the keys is blocked. */
export async function signInBlocked(db: Db, keys: string[]): Promise<number | null> {
  const window = sql`make_interval(secs => ${SIGN_IN_WINDOW_SECONDS})`;
  const rows = await queryRows<{ retry_after: number }>(
    db,
    sql`SELECT ceil(extract(epoch FROM (window_started_at + ${window} - now())))::int AS retry_after
          FROM sign_in_failures
         WHERE key IN ${keys} AND window_started_at > now() - ${window}
           AND count >= ${SIGN_IN_FAILURE_LIMIT}`,
  );
  if (rows.length === 0) return null;
  return Math.max(1, ...rows.map((r) => r.retry_after));
}

/** Counts one failure under each key (atomically: the upsert's row lock orders processes). */
export async function recordSignInFailure(db: Db, keys: string[]): Promise<void> {
  const window = sql`make_interval(secs => ${SIGN_IN_WINDOW_SECONDS})`;
  for (const key of keys) {
    await db.execute(
      sql`INSERT INTO sign_in_failures AS f (key, window_started_at, count)
          VALUES (${key}, now(), 1)
          ON CONFLICT (key) DO UPDATE SET
            count = CASE WHEN f.window_started_at <= now() - ${window} THEN 1 ELSE f.count + 1 END,
            window_started_at = CASE WHEN f.window_started_at <= now() - ${window}
                                     THEN now() ELSE f.window_started_at END`,
    );
  }
}

/** A successful sign-in forgets the account's failures (not the address's). */
export async function clearSignInFailures(db: Db, key: string): Promise<void> {
  await db.execute(sql`DELETE FROM sign_in_failures WHERE key = ${key}`);
}

/** Forgets windows that ended (called at each successful sign-in: a row is a key). */
export async function sweepSignInFailures(db: Db): Promise<void> {
  await db.execute(
    sql`DELETE FROM sign_in_failures
         WHERE window_started_at <= now() - make_interval(secs => ${SIGN_IN_WINDOW_SECONDS})`,
  );
}
