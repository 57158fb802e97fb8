import { createHash, randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { Account } from "../../accounts/account.service.ts";
import type { Db } from "../../db/client.ts";
import { accounts, webSessions } from "../../db/schema/index.ts";

/**
 * A session ends after 14 days without a request (Mastodon and GitLab sign
 * out idle browsers after about two weeks) and 90 days after sign-in
 * whatever happens, so a stolen cookie does not live for ever.
 */
export const SESSION_IDLE_SECONDS = 14 * 24 * 3600;
export const SESSION_ABSOLUTE_SECONDS = 90 * 24 * 3600;
/** `last_seen_at` is written at most this often: not one UPDATE per page view. */
const TOUCH_EVERY_SECONDS = 300;

export interface WebSession {
  account: Account;
  idHash: string;
  csrfToken: string;
}

const hash = (secret: string) => createHash("sha256").update(secret).digest("base64url");

/** Starts a session; the returned secret goes into the cookie and nowhere else. */
export async function createSession(
  db: Db,
  accountId: string,
  userAgent: string,
): Promise<{ secret: string }> {
  const secret = randomBytes(32).toString("base64url");
  await db.insert(webSessions).values({
    idHash: hash(secret),
    accountId,
    csrfToken: randomBytes(24).toString("base64url"),
    userAgent: userAgent.slice(0, 300),
  });
  return { secret };
}

/**
 * The live session behind a cookie secret, or null: unknown, idle too long,
 * too old, or older than the account's last password change. The database
 * clock decides every comparison (it also stamps the rows).
 */
export async function findSession(db: Db, secret: string): Promise<WebSession | null> {
  const idHash = hash(secret);
  const [row] = await db
    .select({ session: webSessions, account: accounts })
    .from(webSessions)
    .innerJoin(accounts, eq(accounts.id, webSessions.accountId))
    .where(
      and(
        eq(webSessions.idHash, idHash),
        sql`${webSessions.lastSeenAt} > now() - make_interval(secs => ${SESSION_IDLE_SECONDS})`,
        sql`${webSessions.createdAt} > now() - make_interval(secs => ${SESSION_ABSOLUTE_SECONDS})`,
        sql`${webSessions.createdAt} >= ${accounts.passwordChangedAt}`,
      ),
    )
    .limit(1);
  if (!row) return null;
  await db
    .update(webSessions)
    .set({ lastSeenAt: sql`now()` })
    .where(
      and(
        eq(webSessions.idHash, idHash),
        sql`${webSessions.lastSeenAt} < now() - make_interval(secs => ${TOUCH_EVERY_SECONDS})`,
      ),
    );
  return { account: row.account, idHash, csrfToken: row.session.csrfToken };
}

/** Sign out: the row goes, so the cookie is worth nothing even if kept. */
export async function endSession(db: Db, idHash: string): Promise<void> {
  await db.delete(webSessions).where(eq(webSessions.idHash, idHash));
}

/** Every session of the account (a password change; an admin's reset). */
export async function endAllSessions(db: Db, accountId: string): Promise<void> {
  await db.delete(webSessions).where(eq(webSessions.accountId, accountId));
}

/** Forgets sessions that can no longer be used (called now and then). */
export async function sweepSessions(db: Db): Promise<void> {
  await db.execute(
    sql`DELETE FROM web_sessions
         WHERE last_seen_at <= now() - make_interval(secs => ${SESSION_IDLE_SECONDS})
            OR created_at <= now() - make_interval(secs => ${SESSION_ABSOLUTE_SECONDS})`,
  );
}
