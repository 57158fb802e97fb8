import { and, desc, eq, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import { htmlToPlainText } from "../comments/sanitize-html.ts";
import type { Db } from "../db/client.ts";
import { localActors, remoteReports } from "../db/schema/index.ts";
import { domainOf } from "../remote/remote-actor.service.ts";

export type RemoteReport = typeof remoteReports.$inferSelect;

/** PeerTube caps an abuse reason at 3,000 characters; Mastodon a comment at 1,000. */
const MAX_COMMENT = 5_000;
const MAX_OBJECTS = 100;

export interface IncomingReport {
  iri: string;
  reporterIri: string;
  /** The Flag's `content`: remote text or HTML. */
  comment: string;
  objectIris: readonly string[];
  targetActorId: string | null;
  videoIds: readonly string[];
  commentIds: readonly string[];
}

/**
 * Stores a report once (by the Flag's id); null for a duplicate. Only
 * moderators ever see it, and nothing about it is sent anywhere.
 */
export async function recordRemoteReport(
  db: Db,
  input: IncomingReport,
): Promise<RemoteReport | null> {
  const [row] = await db
    .insert(remoteReports)
    .values({
      iri: input.iri,
      reporterIri: input.reporterIri,
      reporterDomain: domainOf(input.reporterIri),
      comment: htmlToPlainText(input.comment).slice(0, MAX_COMMENT),
      objectIris: input.objectIris.slice(0, MAX_OBJECTS),
      targetActorId: input.targetActorId,
      videoIds: [...new Set(input.videoIds)],
      commentIds: [...new Set(input.commentIds)],
    })
    .onConflictDoNothing({ target: remoteReports.iri })
    .returning();
  return row ?? null;
}

export interface ReportWithTarget {
  report: RemoteReport;
  targetHandle: string | null;
}

/**
 * `someone_may_be_at_risk` first (a moderator opening the queue sees them
 * before anything else), then newest first; `resolved` filters (undefined: all).
 */
export async function listRemoteReports(
  db: Db,
  options: { resolved?: boolean; limit: number; offset?: number },
): Promise<ReportWithTarget[]> {
  const filters: SQL[] = [];
  if (options.resolved === true) filters.push(isNotNull(remoteReports.resolvedAt));
  if (options.resolved === false) filters.push(isNull(remoteReports.resolvedAt));
  return db
    .select({ report: remoteReports, targetHandle: localActors.handle })
    .from(remoteReports)
    .leftJoin(localActors, eq(localActors.id, remoteReports.targetActorId))
    .where(and(...filters))
    .orderBy(
      desc(sql`(${remoteReports.category} = 'someone_may_be_at_risk')`),
      desc(remoteReports.createdAt),
      desc(remoteReports.id),
    )
    .limit(options.limit)
    .offset(options.offset ?? 0);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findRemoteReport(db: Db, id: string): Promise<ReportWithTarget | null> {
  if (!UUID.test(id)) return null;
  const [row] = await db
    .select({ report: remoteReports, targetHandle: localActors.handle })
    .from(remoteReports)
    .leftJoin(localActors, eq(localActors.id, remoteReports.targetActorId))
    .where(eq(remoteReports.id, id))
    .limit(1);
  return row ?? null;
}

/**
 * Marks a report handled with the action taken; true when this call resolved
 * it (false: it already was, and the first resolution is kept).
 */
export async function markReportResolved(
  db: Db,
  id: string,
  accountId: string,
  action: string,
): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const rows = await db
    .update(remoteReports)
    .set({ resolvedAt: new Date(), resolvedBy: accountId, actionTaken: action })
    .where(and(eq(remoteReports.id, id), isNull(remoteReports.resolvedAt)))
    .returning({ id: remoteReports.id });
  return rows.length > 0;
}
