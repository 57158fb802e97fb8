import type { Db } from "../db/client.ts";
import { computeImpact, type DomainImpact, loadFollowerCounts } from "./impact.ts";
import { type EffectiveChange, newlySuspended, type Plan } from "./planner.ts";
import type { ModerationSnapshot } from "./snapshot.ts";
import { type BlockRule, ruleOf } from "./types.ts";

/** One entry of a preview: the source's claim before/after and what it does to followers. */
export interface PreviewEntry extends DomainImpact {
  readonly domain: string;
  readonly change: "new" | "changed" | "removed";
  /** This source's own claim. */
  readonly before: BlockRule | null;
  readonly after: BlockRule | null;
  /** What applies to the domain once all sources are combined. */
  readonly effectiveBefore: BlockRule | null;
  readonly effectiveAfter: BlockRule | null;
}

export interface ChangePreview {
  readonly new: PreviewEntry[];
  readonly changed: PreviewEntry[];
  readonly removed: PreviewEntry[];
  /** Domains named again exactly as they are now. */
  readonly unchanged: string[];
  /** Every change of an effective block, with its impact (also those no entry names directly). */
  readonly effectiveChanges: (EffectiveChange & DomainImpact)[];
  /** Domains that would become suspended (their follows get purged). */
  readonly newlySuspended: string[];
  readonly totals: {
    readonly new: number;
    readonly changed: number;
    readonly removed: number;
    readonly unchanged: number;
    readonly followersCut: number;
    readonly pendingRequestsCut: number;
  };
}

const NO_IMPACT: DomainImpact = { followersCut: 0, pendingRequestsCut: 0 };

/** The admin-facing summary of a plan, impact counted against real follows. */
export async function buildPreview(
  db: Db,
  snapshot: ModerationSnapshot,
  plan: Plan,
): Promise<ChangePreview> {
  const impact = computeImpact(snapshot, plan, await loadFollowerCounts(db));
  const effective = new Map(plan.effectiveChanges.map((c) => [c.domain, c]));
  const out = {
    new: [] as PreviewEntry[],
    changed: [] as PreviewEntry[],
    removed: [] as PreviewEntry[],
  };
  const unchanged: string[] = [];
  for (const c of plan.claimChanges) {
    if (c.change === "unchanged") {
      unchanged.push(c.domain);
      continue;
    }
    const current = snapshot.effective.get(c.domain);
    const e = effective.get(c.domain);
    const effectiveBefore = current ? ruleOf(current) : null;
    out[c.change].push({
      domain: c.domain,
      change: c.change,
      before: c.before,
      after: c.after,
      effectiveBefore,
      effectiveAfter: e ? e.after : effectiveBefore,
      ...(impact.get(c.domain) ?? NO_IMPACT),
    });
  }
  let followersCut = 0;
  let pendingRequestsCut = 0;
  for (const i of impact.values()) {
    followersCut += i.followersCut;
    pendingRequestsCut += i.pendingRequestsCut;
  }
  return {
    ...out,
    unchanged,
    effectiveChanges: plan.effectiveChanges.map((c) => ({
      ...c,
      ...(impact.get(c.domain) ?? NO_IMPACT),
    })),
    newlySuspended: newlySuspended(plan),
    totals: {
      new: out.new.length,
      changed: out.changed.length,
      removed: out.removed.length,
      unchanged: unchanged.length,
      followersCut,
      pendingRequestsCut,
    },
  };
}
