import { asc, eq, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { domainBlockExclusions } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import { isSameOrSubdomain, normalizeDomain } from "./domain.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { applyPlan, type Plan, planChanges } from "./planner.ts";
import type { ModerationSnapshot } from "./snapshot.ts";
import { loadSnapshot } from "./snapshot.ts";
import { bumpModerationVersion, withModerationLock } from "./state.ts";
import type { DomainBlockExclusion, ModerationActor } from "./types.ts";

function recomputeUnder(snapshot: ModerationSnapshot, domain: string, exclusions: string[]): Plan {
  return planChanges(snapshot, [], {
    ctx: { ...snapshot.ctx, exclusions },
    touched: [...snapshot.claims.keys()].filter((d) => isSameOrSubdomain(d, domain)),
  });
}

/**
 * Keeps a domain and its subdomains out of every subscription's reach
 * (GoToSocial's "domain permission excludes"). Blocks the admin made by hand
 * are untouched; blocks only lists made are lifted at once.
 */
export function addExclusion(
  db: Db,
  input: { domain: string; comment?: string | null },
  actor: ModerationActor,
): Promise<ModerationResult<{ exclusion: DomainBlockExclusion; plan: Plan }>> {
  const normalized = normalizeDomain(input.domain);
  if (!normalized.ok) return Promise.resolve(fail("invalid", normalized.message));
  const domain = normalized.domain;
  return withModerationLock(db, async (tx) => {
    const snapshot = await loadSnapshot(tx);
    if (snapshot.ctx.exclusions.includes(domain)) {
      return fail("conflict", `${domain} is already excluded`);
    }
    const plan = recomputeUnder(snapshot, domain, [...snapshot.ctx.exclusions, domain]);
    const [row] = await tx
      .insert(domainBlockExclusions)
      .values({ domain, comment: input.comment ?? null })
      .returning();
    await applyPlan(tx, plan);
    await recordAudit(tx, {
      actor,
      action: "exclusion.create",
      target: domain,
      details: { unblocked: plan.effectiveChanges.map((c) => c.domain) },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({ exclusion: row!, plan });
  });
}

export function removeExclusion(
  db: Db,
  target: { id: number } | { domain: string },
  actor: ModerationActor,
): Promise<ModerationResult<{ exclusion: DomainBlockExclusion; plan: Plan }>> {
  let where: SQL;
  if ("id" in target) {
    where = eq(domainBlockExclusions.id, target.id);
  } else {
    const normalized = normalizeDomain(target.domain);
    if (!normalized.ok) return Promise.resolve(fail("invalid", normalized.message));
    where = eq(domainBlockExclusions.domain, normalized.domain);
  }
  return withModerationLock(db, async (tx) => {
    const [row] = await tx.delete(domainBlockExclusions).where(where).returning();
    if (!row) return fail("not_found", "Record not found");
    const snapshot = await loadSnapshot(tx);
    // The snapshot was read after the delete, so its exclusions are already the new ones.
    const plan = recomputeUnder(snapshot, row.domain, [...snapshot.ctx.exclusions]);
    await applyPlan(tx, plan);
    await recordAudit(tx, {
      actor,
      action: "exclusion.destroy",
      target: row.domain,
      details: { blocked: plan.effectiveChanges.map((c) => c.domain) },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({ exclusion: row, plan });
  });
}

export function listExclusions(db: Db): Promise<DomainBlockExclusion[]> {
  return db.select().from(domainBlockExclusions).orderBy(asc(domainBlockExclusions.domain));
}
