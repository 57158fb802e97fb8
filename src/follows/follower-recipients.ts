import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { follows, remoteActors } from "../db/schema/index.ts";

export interface FollowerRecipient {
  followId: string;
  iri: string;
  domain: string;
  inboxUrl: string;
  sharedInboxUrl: string | null;
}

/** Accepted followers of a local actor, for delivery (all at once) or paging. */
export async function listFollowerRecipients(
  db: Db,
  followeeId: string,
  options: { afterId?: string; limit?: number; domain?: string } = {},
): Promise<FollowerRecipient[]> {
  const conditions = [eq(follows.followeeId, followeeId), eq(follows.status, "accepted")];
  if (options.afterId) conditions.push(gt(follows.id, options.afterId));
  if (options.domain) conditions.push(eq(remoteActors.domain, options.domain));
  const query = db
    .select({
      followId: follows.id,
      iri: remoteActors.iri,
      domain: remoteActors.domain,
      inboxUrl: remoteActors.inboxUrl,
      sharedInboxUrl: remoteActors.sharedInboxUrl,
    })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(and(...conditions))
    .orderBy(asc(follows.id));
  return options.limit ? query.limit(options.limit) : query;
}

export async function countAcceptedFollowers(db: Db, followeeId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(follows)
    .where(and(eq(follows.followeeId, followeeId), eq(follows.status, "accepted")));
  return row?.n ?? 0;
}
