import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { moderationAuditLog } from "../db/schema/index.ts";
import { type AuditLogEntry, actorLabel, type ModerationActor } from "./types.ts";

export type AuditSource = "manual" | "import" | "subscription" | "system";

/**
 * Action names, `area.verb`, stable: admins filter on them and the admin UI
 * translates them.
 */
export type AuditAction =
  | "domain_block.create"
  | "domain_block.update"
  | "domain_block.destroy"
  | "domain_block.purge"
  | "domain_allow.create"
  | "domain_allow.destroy"
  | "account_block.create"
  | "account_block.destroy"
  | "account_block.purge"
  | "import.apply"
  | "subscription.create"
  | "subscription.update"
  | "subscription.destroy"
  | "subscription.sync"
  | "subscription.sync_failed"
  | "draft.approve"
  | "draft.reject"
  | "exclusion.create"
  | "exclusion.destroy"
  | "settings.update"
  | "report.resolve"
  | "report.forward"
  | "watched_word.create"
  | "watched_word.destroy"
  | "lockdown.start"
  | "lockdown.end";

export interface AuditRecord {
  actor: ModerationActor;
  action: AuditAction;
  target: string;
  details?: Record<string, unknown>;
  source: AuditSource;
}

export async function recordAudit(db: Db, record: AuditRecord): Promise<void> {
  await db.insert(moderationAuditLog).values({
    actor: actorLabel(record.actor),
    actorAccountId: record.actor.kind === "account" ? record.actor.accountId : null,
    action: record.action,
    target: record.target,
    details: record.details ?? {},
    source: record.source,
  });
}

export interface AuditLogQuery {
  /** Newest first; at most 200. */
  limit?: number;
  /** Entries older than this id (paging). */
  maxId?: number;
  action?: AuditAction;
  target?: string;
}

export async function listAuditLog(db: Db, query: AuditLogQuery = {}): Promise<AuditLogEntry[]> {
  const conditions: SQL[] = [];
  if (query.maxId !== undefined) conditions.push(lt(moderationAuditLog.id, query.maxId));
  if (query.action !== undefined) conditions.push(eq(moderationAuditLog.action, query.action));
  if (query.target !== undefined) conditions.push(eq(moderationAuditLog.target, query.target));
  return db
    .select()
    .from(moderationAuditLog)
    .where(conditions.length === 0 ? undefined : and(...conditions))
    .orderBy(desc(moderationAuditLog.id))
    .limit(Math.min(Math.max(query.limit ?? 50, 1), 200));
}
