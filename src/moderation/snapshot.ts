import { asc, gt, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import {
  domainAllows,
  domainBlockExclusions,
  domainBlockSources,
  domainBlockSubscriptions,
  domainBlocks,
} from "../db/schema/index.ts";
import type { CombineContext, SubscriptionInfo } from "./combine.ts";
import { getModerationSettings, type ModerationSettings, readModerationVersion } from "./state.ts";
import type { Claim, DomainBlock, DomainBlockSource } from "./types.ts";
import { yieldToEventLoop } from "./yield.ts";

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

/**
 * Rows per page when reading whole tables: on embedded PGlite one query
 * runs on the main thread, and 50,000 rows at once stall every request for
 * over half a second. Other work runs between pages.
 */
export const PAGE_ROWS = 10_000;

/** All rows of a table with a numeric `id`, a page at a time. */
export async function readPaged<R extends { id: number }>(
  page: (afterId: number, limit: number) => Promise<R[]>,
): Promise<R[]> {
  const out: R[] = [];
  for (let afterId = 0; ; ) {
    const rows = await page(afterId, PAGE_ROWS);
    for (const row of rows) out.push(row);
    if (rows.length < PAGE_ROWS) return out;
    afterId = rows.at(-1)!.id;
    await yieldToEventLoop();
  }
}

export async function loadSnapshot(db: Db): Promise<ModerationSnapshot> {
  const sources = await readPaged((afterId, limit) =>
    db
      .select()
      .from(domainBlockSources)
      .where(gt(domainBlockSources.id, afterId))
      .orderBy(asc(domainBlockSources.id))
      .limit(limit),
  );
  const blocks = await readPaged((afterId, limit) =>
    db
      .select()
      .from(domainBlocks)
      .where(gt(domainBlocks.id, afterId))
      .orderBy(asc(domainBlocks.id))
      .limit(limit),
  );
  const allows = await db.select({ domain: domainAllows.domain }).from(domainAllows);
  return build(db, sources, blocks, allows);
}

/**
 * The snapshot as of policy version `version`, read without holding the
 * moderation lock; null when policy moved meanwhile (every write bumps the
 * version in its own transaction, so an unchanged version on both sides
 * means no write landed in between).
 */
export async function loadSnapshotAt(db: Db, version: number): Promise<ModerationSnapshot | null> {
  if ((await readModerationVersion(db)) !== version) return null;
  const snapshot = await loadSnapshot(db);
  return (await readModerationVersion(db)) === version ? snapshot : null;
}

/** Only what planning changes to `domains` needs: their claims and blocks, and the context. */
export async function loadPartialSnapshot(
  db: Db,
  domains: readonly string[],
): Promise<ModerationSnapshot> {
  const wanted = [...new Set(domains)];
  const [sources, blocks] =
    wanted.length === 0
      ? [[], []]
      : [
          await db
            .select()
            .from(domainBlockSources)
            .where(inArray(domainBlockSources.domain, wanted)),
          await db.select().from(domainBlocks).where(inArray(domainBlocks.domain, wanted)),
        ];
  return build(db, sources, blocks, []);
}

async function build(
  db: Db,
  sources: readonly DomainBlockSource[],
  blocks: readonly DomainBlock[],
  allows: readonly { domain: string }[],
): Promise<ModerationSnapshot> {
  const exclusions = await db
    .select({ domain: domainBlockExclusions.domain })
    .from(domainBlockExclusions);
  const subscriptions = await db.select().from(domainBlockSubscriptions);
  const settings = await getModerationSettings(db);
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
