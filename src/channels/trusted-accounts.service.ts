import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { channelTrustedAccounts } from "../db/schema/index.ts";

export type TrustedAccount = typeof channelTrustedAccounts.$inferSelect;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function listTrustedAccounts(db: Db, channelId: string): Promise<TrustedAccount[]> {
  return db
    .select()
    .from(channelTrustedAccounts)
    .where(eq(channelTrustedAccounts.channelId, channelId))
    .orderBy(asc(channelTrustedAccounts.createdAt));
}

/** Adds (or returns the existing entry for) a resolved remote actor. */
export async function trustAccount(
  db: Db,
  channelId: string,
  actor: { iri: string; acct: string },
): Promise<{ row: TrustedAccount; created: boolean }> {
  const [inserted] = await db
    .insert(channelTrustedAccounts)
    .values({ channelId, actorIri: actor.iri, acct: actor.acct })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { row: inserted, created: true };
  const [existing] = await db
    .select()
    .from(channelTrustedAccounts)
    .where(
      and(
        eq(channelTrustedAccounts.channelId, channelId),
        eq(channelTrustedAccounts.actorIri, actor.iri),
      ),
    );
  return { row: existing!, created: false };
}

export async function untrustAccount(db: Db, channelId: string, id: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const rows = await db
    .delete(channelTrustedAccounts)
    .where(and(eq(channelTrustedAccounts.channelId, channelId), eq(channelTrustedAccounts.id, id)))
    .returning({ id: channelTrustedAccounts.id });
  return rows.length > 0;
}

export async function isTrustedBy(db: Db, channelId: string, actorIri: string): Promise<boolean> {
  const rows = await db
    .select({ id: channelTrustedAccounts.id })
    .from(channelTrustedAccounts)
    .where(
      and(
        eq(channelTrustedAccounts.channelId, channelId),
        eq(channelTrustedAccounts.actorIri, actorIri),
      ),
    )
    .limit(1);
  return rows.length > 0;
}
