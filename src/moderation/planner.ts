import { and, eq, inArray, isNull } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { domainBlockSources, domainBlocks } from "../db/schema/index.ts";
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

const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Writes a plan (inside the moderation lock, with the snapshot it was made from). */
export async function applyPlan(tx: Db, plan: Plan): Promise<void> {
  const now = new Date();
  const inserts: Claim[] = [];
  for (const c of plan.claimChanges) {
    const where = and(
      eq(domainBlockSources.domain, c.domain),
      c.subscriptionId === null
        ? isNull(domainBlockSources.subscriptionId)
        : eq(domainBlockSources.subscriptionId, c.subscriptionId),
    );
    if (c.change === "removed") {
      await tx.delete(domainBlockSources).where(where);
    } else if (c.change === "changed") {
      await tx
        .update(domainBlockSources)
        .set({ ...c.after!, updatedAt: now })
        .where(where);
    } else if (c.change === "new") {
      inserts.push({ ...c.after!, domain: c.domain, subscriptionId: c.subscriptionId });
    }
  }
  for (const batch of chunks(inserts)) await tx.insert(domainBlockSources).values(batch);

  const created = plan.effectiveChanges.filter((c) => c.kind === "created");
  for (const batch of chunks(created)) {
    await tx.insert(domainBlocks).values(batch.map((c) => ({ domain: c.domain, ...c.after! })));
  }
  for (const c of plan.effectiveChanges.filter((c) => c.kind === "updated")) {
    await tx
      .update(domainBlocks)
      .set({ ...c.after!, updatedAt: now })
      .where(eq(domainBlocks.domain, c.domain));
  }
  const deleted = plan.effectiveChanges.filter((c) => c.kind === "deleted").map((c) => c.domain);
  for (const batch of chunks(deleted)) {
    await tx.delete(domainBlocks).where(inArray(domainBlocks.domain, batch));
  }
}

export function planChangesAnything(plan: Plan): boolean {
  return (
    plan.effectiveChanges.length > 0 || plan.claimChanges.some((c) => c.change !== "unchanged")
  );
}
