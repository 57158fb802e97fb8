import { and, asc, desc, eq, gt, inArray, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { domainBlockExclusions, domainBlocks } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import { coveringDomains, isSameOrSubdomain, normalizeDomain } from "./domain.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import type { DomainBlockInput, DomainBlockPatch } from "./mastodon.ts";
import { compareBySeverity } from "./mastodon.ts";
import { refusingParent } from "./parent-rule.ts";
import { applyPlan, newlySuspended, type Plan, planChanges } from "./planner.ts";
import { buildPreview, type ChangePreview } from "./preview.ts";
import { claimOf, loadSnapshot, type ModerationSnapshot } from "./snapshot.ts";
import { bumpModerationVersion, withModerationLock } from "./state.ts";
import { type BlockRule, type DomainBlock, type ModerationActor, ruleOf } from "./types.ts";

export interface DomainBlockChange {
  /** The effective block now; null when the domain is no longer blocked. */
  readonly domainBlock: DomainBlock | null;
  /** Domains that just became suspended: call `purgeSuspendedDomain` for each. */
  readonly newlySuspended: string[];
}

/** Mastodon's `DomainBlock.rule_for`: the most specific block covering `domain`. */
export function ruleFor(
  effective: ReadonlyMap<string, DomainBlock>,
  domain: string,
): DomainBlock | null {
  for (const d of coveringDomains(domain)) {
    const block = effective.get(d);
    if (block) return block;
  }
  return null;
}

function manualRule(input: DomainBlockInput | DomainBlockPatch, base: BlockRule | null): BlockRule {
  // Mastodon's column defaults: severity silence, flags false, no comments.
  return {
    severity: input.severity ?? base?.severity ?? "silence",
    rejectMedia: input.rejectMedia ?? base?.rejectMedia ?? false,
    rejectReports: input.rejectReports ?? base?.rejectReports ?? false,
    privateComment:
      input.privateComment === undefined ? (base?.privateComment ?? null) : input.privateComment,
    publicComment:
      input.publicComment === undefined ? (base?.publicComment ?? null) : input.publicComment,
    obfuscate: input.obfuscate ?? base?.obfuscate ?? false,
  };
}

/**
 * Mastodon's create rule: refused when the same domain is already blocked,
 * or a parent's block is at least as strict (`refusingParent`, which the
 * importer applies too).
 */
function planBlock(
  snapshot: ModerationSnapshot,
  input: DomainBlockInput,
): ModerationResult<{ domain: string; plan: Plan }> {
  const normalized = normalizeDomain(input.domain);
  if (!normalized.ok) return fail("invalid", normalized.message);
  const domain = normalized.domain;
  const rule = manualRule(input, null);
  const existing =
    snapshot.effective.get(domain) ??
    refusingParent((d) => snapshot.effective.get(d), domain, rule)?.block;
  if (existing) {
    return {
      ok: false,
      error: {
        kind: "unprocessable",
        message: `You have already imposed stricter limits on ${existing.domain}.`,
        existing,
      },
    };
  }
  const plan = planChanges(snapshot, [
    { op: "put", claim: { domain, subscriptionId: null, ...rule } },
  ]);
  return success({ domain, plan });
}

/** What `blockDomain` would change, with the follows it would cut; writes nothing. */
export async function previewBlockDomain(
  db: Db,
  input: DomainBlockInput,
): Promise<ModerationResult<ChangePreview>> {
  const snapshot = await loadSnapshot(db);
  const planned = planBlock(snapshot, input);
  if (!planned.ok) return planned;
  return success(await buildPreview(db, snapshot, planned.value.plan));
}

export function blockDomain(
  db: Db,
  input: DomainBlockInput,
  actor: ModerationActor,
): Promise<ModerationResult<DomainBlockChange>> {
  return withModerationLock(db, async (tx) => {
    const snapshot = await loadSnapshot(tx);
    const planned = planBlock(snapshot, input);
    if (!planned.ok) return planned;
    const { domain, plan } = planned.value;
    await applyPlan(tx, plan);
    await recordAudit(tx, {
      actor,
      action: "domain_block.create",
      target: domain,
      details: { rule: plan.claimChanges[0]?.after },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({
      domainBlock: await findByDomain(tx, domain),
      newlySuspended: newlySuspended(plan),
    });
  });
}

/**
 * Mastodon's update: changes the admin's own claim on the domain. On a block
 * that only subscriptions made, it starts from the effective values, so the
 * admin takes the domain over (admin intent wins from then on).
 */
export function updateDomainBlock(
  db: Db,
  id: number,
  patch: DomainBlockPatch,
  actor: ModerationActor,
): Promise<ModerationResult<DomainBlockChange>> {
  return withModerationLock(db, async (tx) => {
    const current = await getDomainBlock(tx, id);
    if (!current) return fail("not_found", "Record not found");
    const snapshot = await loadSnapshot(tx);
    const base = claimOf(snapshot, current.domain, null) ?? ruleOf(current);
    const rule = manualRule(patch, base);
    const plan = planChanges(snapshot, [
      { op: "put", claim: { domain: current.domain, subscriptionId: null, ...rule } },
    ]);
    await applyPlan(tx, plan);
    await recordAudit(tx, {
      actor,
      action: "domain_block.update",
      target: current.domain,
      details: { before: ruleOf(current), after: rule },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({
      domainBlock: await findByDomain(tx, current.domain),
      newlySuspended: newlySuspended(plan),
    });
  });
}

export interface UnblockResult extends DomainBlockChange {
  /** Subscriptions that still name the domain (it stays blocked unless excluded). */
  readonly stillListedBy: number[];
}

/**
 * Removes the admin's block. Subscriptions naming the domain keep it blocked
 * unless `exclude` is set, which also adds a subscription exclusion for it.
 */
export function unblockDomain(
  db: Db,
  target: { id: number } | { domain: string },
  actor: ModerationActor,
  options: { exclude?: boolean } = {},
): Promise<ModerationResult<UnblockResult>> {
  return withModerationLock(db, async (tx) => {
    let domain: string;
    if ("id" in target) {
      const row = await getDomainBlock(tx, target.id);
      if (!row) return fail("not_found", "Record not found");
      domain = row.domain;
    } else {
      const normalized = normalizeDomain(target.domain);
      if (!normalized.ok) return fail("invalid", normalized.message);
      domain = normalized.domain;
    }
    const snapshot = await loadSnapshot(tx);
    const claims = snapshot.claims.get(domain) ?? [];
    if (!snapshot.effective.has(domain) && claims.length === 0) {
      return fail("not_found", `${domain} is not blocked`);
    }
    const exclusions = options.exclude
      ? [...snapshot.ctx.exclusions, domain]
      : snapshot.ctx.exclusions;
    const plan = planChanges(snapshot, [{ op: "delete", domain, subscriptionId: null }], {
      ctx: { ...snapshot.ctx, exclusions },
      touched: [...snapshot.claims.keys()].filter((d) => isSameOrSubdomain(d, domain)),
    });
    if (options.exclude && !snapshot.ctx.exclusions.includes(domain)) {
      await tx.insert(domainBlockExclusions).values({ domain, comment: "Added when unblocking" });
    }
    await applyPlan(tx, plan);
    await recordAudit(tx, {
      actor,
      action: "domain_block.destroy",
      target: domain,
      details: {
        before: plan.effectiveChanges[0]?.before ?? null,
        excluded: options.exclude === true,
      },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({
      domainBlock: await findByDomain(tx, domain),
      newlySuspended: [],
      stillListedBy: claims.flatMap((c) => (c.subscriptionId === null ? [] : [c.subscriptionId])),
    });
  });
}

export async function getDomainBlock(db: Db, id: number): Promise<DomainBlock | null> {
  const [row] = await db.select().from(domainBlocks).where(eq(domainBlocks.id, id));
  return row ?? null;
}

async function findByDomain(db: Db, domain: string): Promise<DomainBlock | null> {
  const [row] = await db.select().from(domainBlocks).where(eq(domainBlocks.domain, domain));
  return row ?? null;
}

/** The block that applies to `host` (itself or the nearest parent), Mastodon's `rule_for`. */
export async function findDomainBlockFor(db: Db, host: string): Promise<DomainBlock | null> {
  const normalized = normalizeDomain(host);
  if (!normalized.ok) return null;
  const candidates = coveringDomains(normalized.domain);
  const rows = await db.select().from(domainBlocks).where(inArray(domainBlocks.domain, candidates));
  return ruleFor(new Map(rows.map((r) => [r.domain, r])), normalized.domain);
}

export interface PageQuery {
  /** At most 200; Mastodon's default is 100. */
  limit?: number;
  maxId?: number;
  sinceId?: number;
  minId?: number;
}

/** Newest first, paged by id like Mastodon's admin API. */
export async function listDomainBlocks(db: Db, page: PageQuery = {}): Promise<DomainBlock[]> {
  const conditions: SQL[] = [];
  if (page.maxId !== undefined) conditions.push(lt(domainBlocks.id, page.maxId));
  if (page.sinceId !== undefined) conditions.push(gt(domainBlocks.id, page.sinceId));
  if (page.minId !== undefined) conditions.push(gt(domainBlocks.id, page.minId));
  const limit = Math.min(Math.max(page.limit ?? 100, 1), 200);
  const where = conditions.length === 0 ? undefined : and(...conditions);
  if (page.minId !== undefined) {
    // min_id pages forward from the oldest side, then reads newest first.
    const rows = await db
      .select()
      .from(domainBlocks)
      .where(where)
      .orderBy(asc(domainBlocks.id))
      .limit(limit);
    return rows.reverse();
  }
  return db.select().from(domainBlocks).where(where).orderBy(desc(domainBlocks.id)).limit(limit);
}

/** What `GET /api/v1/instance/domain_blocks` lists: silence and suspend, by severity. */
export async function listPublicDomainBlocks(db: Db): Promise<DomainBlock[]> {
  const rows = await db
    .select()
    .from(domainBlocks)
    .where(inArray(domainBlocks.severity, ["silence", "suspend"]));
  return rows.sort(compareBySeverity);
}
