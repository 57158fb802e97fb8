import { inArray } from "drizzle-orm";
import { findCommentById, type StoredComment } from "../comments/comment.service.ts";
import type { Db } from "../db/client.ts";
import { videoComments } from "../db/schema/index.ts";
import { type AppError, err, ok, type Result } from "../lib/result.ts";
import { blockAccount } from "../moderation/account-blocks.service.ts";
import { recordAudit } from "../moderation/audit.ts";
import type { PolicyChange } from "../moderation/consequences.ts";
import { blockDomain } from "../moderation/domain-blocks.service.ts";
import type { ModerationActor } from "../moderation/types.ts";
import { domainOf } from "../remote/remote-actor.service.ts";
import { findRemoteReport, markReportResolved, type ReportWithTarget } from "./report.service.ts";

/** Mastodon's admin actions, narrowed to what Haven moderates: replies and remote accounts. */
export const RESOLVE_ACTIONS = [
  "none",
  "hide_comment",
  "reject_comment",
  "block_account",
  "block_domain",
] as const;
export type ResolveAction = (typeof RESOLVE_ACTIONS)[number];

export function isResolveAction(v: unknown): v is ResolveAction {
  return typeof v === "string" && (RESOLVE_ACTIONS as readonly string[]).includes(v);
}

export interface Resolution {
  report: ReportWithTarget;
  /** What the moderation runtime must do next (purge a blocked account or domain). */
  changes: PolicyChange[];
}

export async function reportedComments(db: Db, ids: readonly string[]): Promise<StoredComment[]> {
  const found = await Promise.all(ids.map((id) => findCommentById(db, id)));
  return found.filter((c): c is StoredComment => c !== null);
}

/**
 * Applies `action` through the services that own it (comment states, account
 * and domain blocks, each audited there too), then marks the report resolved
 * with a `report.resolve` audit entry naming the action and what it touched.
 * A report already resolved keeps its first resolution.
 */
export async function resolveReport(
  db: Db,
  id: string,
  action: ResolveAction,
  actor: ModerationActor & { kind: "account" },
): Promise<Result<Resolution, AppError>> {
  const found = await findRemoteReport(db, id);
  if (!found) return err("not_found", "Record not found");
  if (found.report.resolvedAt !== null) {
    if (action === "none") return ok({ report: found, changes: [] });
    return err("conflict", "This report is already resolved");
  }
  const comments = await reportedComments(db, found.report.commentIds);
  const authors = [...new Set(comments.map((c) => c.authorIri))];
  const domains = [...new Set(authors.map(domainOf))];
  const changes: PolicyChange[] = [];
  if (action !== "none" && comments.length === 0) {
    return err("unprocessable", `${action} needs a report about a comment from another server`);
  }
  if (action === "hide_comment" || action === "reject_comment") {
    // Hidden = back to the held queue (a channel manager may approve it again);
    // rejected stays hidden for good, even if the remote re-delivers it.
    await db
      .update(videoComments)
      .set({
        state: action === "hide_comment" ? "held" : "rejected",
        moderatedAt: new Date(),
        moderatedBy: actor.accountId,
      })
      .where(
        inArray(
          videoComments.id,
          comments.map((c) => c.comment.id),
        ),
      );
  } else if (action === "block_account") {
    for (const actorIri of authors) {
      const blocked = await blockAccount(db, { actorIri, privateComment: `Report ${id}` }, actor);
      if (!blocked.ok) return blocked;
      if (blocked.value.created)
        changes.push({ blockedAccount: blocked.value.accountBlock.actorIri });
    }
  } else if (action === "block_domain") {
    for (const domain of domains) {
      // Suspend, as Mastodon's "block domain" does; a domain already blocked as hard is fine.
      const blocked = await blockDomain(
        db,
        { domain, severity: "suspend", privateComment: `Report ${id}` },
        actor,
      );
      if (!blocked.ok && !blocked.error.existing) return blocked;
      if (blocked.ok) changes.push({ newlySuspended: blocked.value.newlySuspended });
    }
  }
  await db.transaction(async (tx) => {
    if (!(await markReportResolved(tx, id, actor.accountId, action))) return;
    await recordAudit(tx, {
      actor,
      action: "report.resolve",
      target: id,
      details: {
        action,
        category: found.report.category,
        commentIds: comments.map((c) => c.comment.id),
        ...(action === "block_account" ? { accounts: authors } : {}),
        ...(action === "block_domain" ? { domains } : {}),
      },
      source: "manual",
    });
  });
  const after = await findRemoteReport(db, id);
  return ok({ report: after ?? found, changes });
}
