import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type CombineContext, effectiveRule } from "./combine.ts";
import { claimOf, type ModerationSnapshot } from "./snapshot.ts";
import { type BlockRule, type Claim, ruleOf, sameRule } from "./types.ts";

export type ClaimOp =
  | { readonly op: "put"; readonly claim: Claim }
  | { readonly op: "delete"; readonly domain: string; readonly subscriptionId: number | null };

/** How one source's claim on a domain changes. */
export interface ClaimChange {
  readonly domain: string;
  readonly subscriptionId: number | null;
  readonly change: "new" | "changed" | "unchanged" | "removed";
  readonly before: BlockRule | null;
  readonly after: BlockRule | null;
}

/** How the effective block on a domain changes. */
export interface EffectiveChange {
  readonly domain: string;
  readonly kind: "created" | "updated" | "deleted";
  readonly before: BlockRule | null;
  readonly after: BlockRule | null;
}

export interface Plan {
  readonly claimChanges: readonly ClaimChange[];
  readonly effectiveChanges: readonly EffectiveChange[];
}

/**
 * What a set of claim operations (and optionally a new combination context)
 * would do, computed in memory from a snapshot: the claim-level diff a
 * preview shows and the effective-level diff that gets written. `touched`
 * adds domains to recompute although no claim on them changes (e.g. after a
 * policy or exclusion change).
 */
export function planChanges(
  snapshot: ModerationSnapshot,
  ops: readonly ClaimOp[],
  options: { ctx?: CombineContext; touched?: Iterable<string> } = {},
): Plan {
  const ctx = options.ctx ?? snapshot.ctx;
  const claims = new Map<string, Claim[]>();
  const claimsFor = (domain: string): Claim[] => {
    let list = claims.get(domain);
    if (!list) {
      list = [...(snapshot.claims.get(domain) ?? [])];
      claims.set(domain, list);
    }
    return list;
  };
  const claimChanges: ClaimChange[] = [];
  for (const op of ops) {
    const domain = op.op === "put" ? op.claim.domain : op.domain;
    const subscriptionId = op.op === "put" ? op.claim.subscriptionId : op.subscriptionId;
    const existing = claimOf(snapshot, domain, subscriptionId);
    const list = claimsFor(domain);
    const index = list.findIndex((c) => c.subscriptionId === subscriptionId);
    if (op.op === "put") {
      if (index === -1) list.push(op.claim);
      else list[index] = op.claim;
      const change = !existing ? "new" : sameRule(existing, op.claim) ? "unchanged" : "changed";
      claimChanges.push({
        domain,
        subscriptionId,
        change,
        before: existing ? ruleOf(existing) : null,
        after: ruleOf(op.claim),
      });
    } else if (index !== -1) {
      list.splice(index, 1);
      claimChanges.push({
        domain,
        subscriptionId,
        change: "removed",
        before: existing ? ruleOf(existing) : null,
        after: null,
      });
    }
  }
  for (const domain of options.touched ?? []) claimsFor(domain);

  const effectiveChanges: EffectiveChange[] = [];
  for (const [domain, list] of claims) {
    const current = snapshot.effective.get(domain);
    const before = current ? ruleOf(current) : null;
    const after = effectiveRule(domain, list, ctx);
    if (before === null && after === null) continue;
    if (before !== null && after !== null && sameRule(before, after)) continue;
    const kind = before === null ? "created" : after === null ? "deleted" : "updated";
    effectiveChanges.push({ domain, kind, before, after });
  }
  return { claimChanges, effectiveChanges };
}

/** Domains that become suspended: the caller should purge what they stored from them. */
export function newlySuspended(plan: Plan): string[] {
  return plan.effectiveChanges
    .filter((c) => c.after?.severity === "suspend" && c.before?.severity !== "suspend")
    .map((c) => c.domain);
}

/**
 * Rows per statement. Bounds what one statement costs: on embedded PGlite a
 * statement runs on the main thread and nothing else runs meanwhile.
 */
const ROWS_PER_STATEMENT = 2_000;

function slices<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) {
    out.push(items.slice(i, i + ROWS_PER_STATEMENT));
  }
  return out;
}

/** One JSON parameter instead of thousands of bind parameters (PostgreSQL allows 65,535). */
const RULE_COLUMNS = sql.raw(
  "domain text, subscription_id bigint, severity text, reject_media boolean, reject_reports boolean, private_comment text, public_comment text, obfuscate boolean",
);

function rowsJson(
  rows: readonly (BlockRule & { domain: string; subscriptionId?: number | null })[],
) {
  return JSON.stringify(
    rows.map((r) => ({
      domain: r.domain,
      subscription_id: r.subscriptionId ?? null,
      severity: r.severity,
      reject_media: r.rejectMedia,
      reject_reports: r.rejectReports,
      private_comment: r.privateComment,
      public_comment: r.publicComment,
      obfuscate: r.obfuscate,
    })),
  );
}

/**
 * Writes a plan (inside the moderation lock, with the snapshot it was made
 * from) with set-based statements: a handful per 2,000 rows, not one per
 * domain.
 */
export async function applyPlan(tx: Db, plan: Plan): Promise<void> {
  const claimsBy = (change: ClaimChange["change"]) =>
    plan.claimChanges
      .filter((c) => c.change === change)
      .map((c) => ({
        ...(c.after ?? c.before)!,
        domain: c.domain,
        subscriptionId: c.subscriptionId,
      }));
  for (const batch of slices(claimsBy("removed"))) {
    await tx.execute(sql`
      DELETE FROM domain_block_sources s
       USING jsonb_to_recordset(${rowsJson(batch)}::jsonb) AS x(${RULE_COLUMNS})
       WHERE s.domain = x.domain AND s.subscription_id IS NOT DISTINCT FROM x.subscription_id`);
  }
  for (const batch of slices(claimsBy("changed"))) {
    await tx.execute(sql`
      UPDATE domain_block_sources s
         SET severity = x.severity, reject_media = x.reject_media,
             reject_reports = x.reject_reports, private_comment = x.private_comment,
             public_comment = x.public_comment, obfuscate = x.obfuscate, updated_at = now()
        FROM jsonb_to_recordset(${rowsJson(batch)}::jsonb) AS x(${RULE_COLUMNS})
       WHERE s.domain = x.domain AND s.subscription_id IS NOT DISTINCT FROM x.subscription_id`);
  }
  for (const batch of slices(claimsBy("new"))) {
    await tx.execute(sql`
      INSERT INTO domain_block_sources (domain, subscription_id, severity, reject_media,
             reject_reports, private_comment, public_comment, obfuscate)
      SELECT domain, subscription_id, severity, reject_media, reject_reports,
             private_comment, public_comment, obfuscate
        FROM jsonb_to_recordset(${rowsJson(batch)}::jsonb) AS x(${RULE_COLUMNS})`);
  }

  const effectiveBy = (kind: EffectiveChange["kind"]) =>
    plan.effectiveChanges
      .filter((c) => c.kind === kind)
      .map((c) => ({ ...(c.after ?? c.before)!, domain: c.domain }));
  for (const batch of slices(effectiveBy("deleted"))) {
    await tx.execute(sql`
      DELETE FROM domain_blocks b
       USING jsonb_to_recordset(${rowsJson(batch)}::jsonb) AS x(${RULE_COLUMNS})
       WHERE b.domain = x.domain`);
  }
  for (const batch of slices(effectiveBy("updated"))) {
    await tx.execute(sql`
      UPDATE domain_blocks b
         SET severity = x.severity, reject_media = x.reject_media,
             reject_reports = x.reject_reports, private_comment = x.private_comment,
             public_comment = x.public_comment, obfuscate = x.obfuscate, updated_at = now()
        FROM jsonb_to_recordset(${rowsJson(batch)}::jsonb) AS x(${RULE_COLUMNS})
       WHERE b.domain = x.domain`);
  }
  for (const batch of slices(effectiveBy("created"))) {
    // A function scan yields the array in order, so ids (the export's "oldest
    // first") follow the list's order.
    await tx.execute(sql`
      INSERT INTO domain_blocks (domain, severity, reject_media, reject_reports,
             private_comment, public_comment, obfuscate)
      SELECT domain, severity, reject_media, reject_reports, private_comment,
             public_comment, obfuscate
        FROM jsonb_to_recordset(${rowsJson(batch)}::jsonb) AS x(${RULE_COLUMNS})`);
  }
}

export function planChangesAnything(plan: Plan): boolean {
  return (
    plan.effectiveChanges.length > 0 || plan.claimChanges.some((c) => c.change !== "unchanged")
  );
}
