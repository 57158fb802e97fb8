import { and, asc, eq, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { domainBlockDrafts } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { applyPlan, newlySuspended, planChanges } from "./planner.ts";
import { buildPreview, type ChangePreview } from "./preview.ts";
import { loadSnapshot } from "./snapshot.ts";
import { bumpModerationVersion, withModerationLock } from "./state.ts";
import { type DomainBlockDraft, type ModerationActor, ruleOf } from "./types.ts";

export async function listDrafts(
  db: Db,
  filter: { subscriptionId?: number; status?: DomainBlockDraft["status"] } = {},
): Promise<DomainBlockDraft[]> {
  const conditions: SQL[] = [eq(domainBlockDrafts.status, filter.status ?? "pending")];
  if (filter.subscriptionId !== undefined) {
    conditions.push(eq(domainBlockDrafts.subscriptionId, filter.subscriptionId));
  }
  return db
    .select()
    .from(domainBlockDrafts)
    .where(and(...conditions))
    .orderBy(asc(domainBlockDrafts.domain));
}

function draftOp(draft: DomainBlockDraft) {
  return {
    op: "put" as const,
    claim: { domain: draft.domain, subscriptionId: draft.subscriptionId, ...ruleOf(draft) },
  };
}

/** What approving a draft would change, with the follows it would cut. */
export async function previewDraft(db: Db, id: number): Promise<ModerationResult<ChangePreview>> {
  const [draft] = await db.select().from(domainBlockDrafts).where(eq(domainBlockDrafts.id, id));
  if (!draft) return fail("not_found", "Record not found");
  const snapshot = await loadSnapshot(db);
  return success(await buildPreview(db, snapshot, planChanges(snapshot, [draftOp(draft)])));
}

/**
 * Applies a draft as its subscription's claim; from then on the list
 * maintains it (a later sync that drops the entry lifts it again).
 */
export function approveDraft(
  db: Db,
  id: number,
  actor: ModerationActor,
): Promise<ModerationResult<{ newlySuspended: string[] }>> {
  return withModerationLock(db, async (tx) => {
    const [draft] = await tx.select().from(domainBlockDrafts).where(eq(domainBlockDrafts.id, id));
    if (!draft) return fail("not_found", "Record not found");
    const snapshot = await loadSnapshot(tx);
    const plan = planChanges(snapshot, [draftOp(draft)]);
    await applyPlan(tx, plan);
    await tx.delete(domainBlockDrafts).where(eq(domainBlockDrafts.id, id));
    await recordAudit(tx, {
      actor,
      action: "draft.approve",
      target: draft.domain,
      details: { subscriptionId: draft.subscriptionId, rule: ruleOf(draft) },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({ newlySuspended: newlySuspended(plan) });
  });
}

/** Keeps the draft as rejected, so the same entry is not proposed again. */
export function rejectDraft(
  db: Db,
  id: number,
  actor: ModerationActor,
): Promise<ModerationResult<DomainBlockDraft>> {
  return withModerationLock(db, async (tx) => {
    const [row] = await tx
      .update(domainBlockDrafts)
      .set({ status: "rejected", updatedAt: new Date() })
      .where(eq(domainBlockDrafts.id, id))
      .returning();
    if (!row) return fail("not_found", "Record not found");
    await recordAudit(tx, {
      actor,
      action: "draft.reject",
      target: row.domain,
      details: { subscriptionId: row.subscriptionId },
      source: "manual",
    });
    return success(row);
  });
}
