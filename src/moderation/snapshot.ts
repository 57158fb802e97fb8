import type { Db } from "../db/client.ts";
import {
  domainAllows,
  domainBlockExclusions,
  domainBlockSources,
  domainBlockSubscriptions,
  domainBlocks,
} from "../db/schema/index.ts";
import type { CombineContext, SubscriptionInfo } from "./combine.ts";
import { getModerationSettings, type ModerationSettings } from "./state.ts";
import type { Claim, DomainBlock } from "./types.ts";

/**
 * Everything the planner needs, read at once inside the moderation lock:
 * all claims, the effective blocks, and the context that combines them.
 * Admin-side work only; the hot path reads the policy cache instead.
 */
export interface ModerationSnapshot {
  readonly claims: ReadonlyMap<string, readonly Claim[]>;
  readonly effective: ReadonlyMap<string, DomainBlock>;
  readonly allows: readonly string[];
  readonly settings: ModerationSettings;
  readonly ctx: CombineContext;
}

export async function loadSnapshot(db: Db): Promise<ModerationSnapshot> {
  const [sources, blocks, exclusions, subscriptions, allows, settings] = await Promise.all([
    db.select().from(domainBlockSources),
    db.select().from(domainBlocks),
    db.select({ domain: domainBlockExclusions.domain }).from(domainBlockExclusions),
    db.select().from(domainBlockSubscriptions),
    db.select({ domain: domainAllows.domain }).from(domainAllows),
    getModerationSettings(db),
  ]);
  const claims = new Map<string, Claim[]>();
  for (const s of sources) {
    const claim: Claim = {
      domain: s.domain,
      subscriptionId: s.subscriptionId,
      severity: s.severity,
      rejectMedia: s.rejectMedia,
      rejectReports: s.rejectReports,
      privateComment: s.privateComment,
      publicComment: s.publicComment,
      obfuscate: s.obfuscate,
    };
    const list = claims.get(s.domain);
    if (list) list.push(claim);
    else claims.set(s.domain, [claim]);
  }
  const subs = new Map<number, SubscriptionInfo>(
    subscriptions.map((s) => [
      s.id,
      { id: s.id, priority: s.priority, enabled: s.enabled, title: s.title, url: s.url },
    ]),
  );
  return {
    claims,
    effective: new Map(blocks.map((b) => [b.domain, b])),
    allows: allows.map((a) => a.domain),
    settings,
    ctx: {
      policy: settings.combinationPolicy,
      exclusions: exclusions.map((e) => e.domain),
      subscriptions: subs,
    },
  };
}

/** The claim a given source holds on a domain, if any. */
export function claimOf(
  snapshot: ModerationSnapshot,
  domain: string,
  subscriptionId: number | null,
): Claim | undefined {
  return snapshot.claims.get(domain)?.find((c) => c.subscriptionId === subscriptionId);
}
