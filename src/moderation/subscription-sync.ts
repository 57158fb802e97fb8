import { createHash } from "node:crypto";
import { asc, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { domainBlockDrafts, domainBlockSubscriptions } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import type { ParseIssue } from "./blocklist-parse.ts";
import { isExcluded } from "./combine.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { applyPlan, newlySuspended, planChanges } from "./planner.ts";
import { buildPreview, type ChangePreview } from "./preview.ts";
import { loadSnapshot } from "./snapshot.ts";
import { bumpModerationVersion, withModerationLock } from "./state.ts";
import { type IgnoredEntry, listEntries, subscriptionOps } from "./subscription-entries.ts";
import type { DomainBlockSubscription } from "./types.ts";
import { sameRule } from "./types.ts";

/**
 * Fetches a list's body. In production this is the SSRF-safe fetcher from
 * `src/net/`; tests pass a fake. It must not throw for network failures.
 */
export type FetchText = (
  url: string,
) => Promise<{ ok: true; text: string; contentType: string | null } | { ok: false; error: string }>;

export interface SyncDeps {
  readonly fetchText: FetchText;
  /** Our own host: a list naming it (or a parent of it) is ignored for that entry. */
  readonly localDomain: string;
  readonly now?: () => Date;
}

export interface SyncReport {
  readonly subscriptionId: number;
  /**
   * `synced`: the list applied (or drafted); `unchanged`: same body as last
   * time; `fetch_failed` / `parse_failed`: the last good list stays in force
   * and the error is recorded on the subscription.
   */
  readonly status: "synced" | "unchanged" | "fetch_failed" | "parse_failed";
  readonly error: string | null;
  readonly changes: ChangePreview | null;
  /** Review mode: domains now waiting as drafts. */
  readonly drafted: string[];
  /** Named by the list but excluded by the admin: never blocked by a list. */
  readonly excluded: string[];
  readonly ignored: IgnoredEntry[];
  readonly errors: ParseIssue[];
  readonly duplicates: ParseIssue[];
  readonly newlySuspended: string[];
}

function report(id: number, status: SyncReport["status"], error: string | null = null): SyncReport {
  return {
    subscriptionId: id,
    status,
    error,
    changes: null,
    drafted: [],
    excluded: [],
    ignored: [],
    errors: [],
    duplicates: [],
    newlySuspended: [],
  };
}

async function fetchBody(deps: SyncDeps, url: string) {
  try {
    return await deps.fetchText(url);
  } catch (e) {
    return { ok: false as const, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Fetches one subscription and applies what changed: new and changed entries
 * become this list's claims (or drafts in review mode), dropped entries lose
 * this list's claim — a domain stays blocked while the admin or another list
 * still names it. An unreachable or unusable list keeps the last good one.
 */
export async function syncSubscription(
  db: Db,
  id: number,
  deps: SyncDeps,
  options: { dryRun?: boolean; force?: boolean } = {},
): Promise<ModerationResult<SyncReport>> {
  const now = deps.now?.() ?? new Date();
  const [sub] = await db
    .select()
    .from(domainBlockSubscriptions)
    .where(eq(domainBlockSubscriptions.id, id));
  if (!sub) return fail("not_found", "Record not found");
  const fetched = await fetchBody(deps, sub.url);
  if (!fetched.ok)
    return success(await recordFailure(db, sub, "fetch_failed", fetched.error, now, options));
  const digest = createHash("sha256").update(fetched.text).digest("hex");
  if (!options.dryRun && !options.force && digest === sub.lastDigest) {
    await db
      .update(domainBlockSubscriptions)
      .set({ lastFetchedAt: now, lastSuccessAt: now, lastError: null, lastErrorAt: null })
      .where(eq(domainBlockSubscriptions.id, id));
    return success(report(id, "unchanged"));
  }
  const run = async (tx: Db): Promise<ModerationResult<SyncReport>> => {
    const listed = await listEntries(tx, fetched, sub.format, deps.localDomain);
    if (!listed.ok)
      return success(await recordFailure(tx, sub, "parse_failed", listed.error, now, options));
    const { entries, parsed, ignored } = listed.value;
    const snapshot = await loadSnapshot(tx);
    if (!snapshot.ctx.subscriptions.has(id)) return fail("not_found", "Record not found");
    const { ops, drafts } = subscriptionOps(snapshot, sub, entries);
    const plan = planChanges(snapshot, ops);
    const changes = await buildPreview(tx, snapshot, plan);
    const excluded = entries
      .filter((e) => isExcluded(e.domain, snapshot.ctx.exclusions))
      .map((e) => e.domain);
    const result: SyncReport = {
      ...report(id, "synced"),
      changes,
      drafted: drafts.map((d) => d.domain),
      excluded,
      ignored,
      errors: parsed.errors,
      duplicates: parsed.duplicates,
      newlySuspended: newlySuspended(plan),
    };
    if (options.dryRun) return success(result);
    await applyPlan(tx, plan);
    await writeDrafts(
      tx,
      sub.id,
      drafts,
      entries.map((e) => e.domain),
    );
    await tx
      .update(domainBlockSubscriptions)
      .set({
        lastFetchedAt: now,
        lastSuccessAt: now,
        lastError: null,
        lastErrorAt: null,
        lastDigest: digest,
      })
      .where(eq(domainBlockSubscriptions.id, id));
    if (changes.totals.new + changes.totals.changed + changes.totals.removed + drafts.length > 0) {
      await recordAudit(tx, {
        actor: { kind: "subscription", subscriptionId: id },
        action: "subscription.sync",
        target: sub.url,
        details: {
          new: changes.new.map((e) => e.domain),
          changed: changes.changed.map((e) => e.domain),
          removed: changes.removed.map((e) => e.domain),
          drafted: result.drafted,
          ignored: ignored.map((i) => i.domain),
          followersCut: changes.totals.followersCut,
        },
        source: "subscription",
      });
      await bumpModerationVersion(tx);
    }
    return success(result);
  };
  return options.dryRun ? run(db) : withModerationLock(db, run);
}

/** Upserts pending drafts; a rejected draft with the same content stays rejected. */
async function writeDrafts(
  tx: Db,
  subscriptionId: number,
  drafts: ReturnType<typeof subscriptionOps>["drafts"],
  listed: string[],
): Promise<void> {
  const existing = await tx
    .select()
    .from(domainBlockDrafts)
    .where(eq(domainBlockDrafts.subscriptionId, subscriptionId));
  const byDomain = new Map(existing.map((d) => [d.domain, d]));
  for (const draft of drafts) {
    const current = byDomain.get(draft.domain);
    const { domain, ...rule } = draft;
    if (current && sameRule(current, rule)) continue;
    await tx
      .insert(domainBlockDrafts)
      .values({ subscriptionId, domain, ...rule, status: "pending" })
      .onConflictDoUpdate({
        target: [domainBlockDrafts.subscriptionId, domainBlockDrafts.domain],
        set: { ...rule, status: "pending", updatedAt: new Date() },
      });
  }
  // Drafts for entries the list no longer names are moot.
  const named = new Set(listed);
  const moot = existing.filter((d) => !named.has(d.domain)).map((d) => d.id);
  for (let i = 0; i < moot.length; i += 500) {
    await tx.delete(domainBlockDrafts).where(inArray(domainBlockDrafts.id, moot.slice(i, i + 500)));
  }
}

async function recordFailure(
  db: Db,
  sub: DomainBlockSubscription,
  status: "fetch_failed" | "parse_failed",
  error: string,
  now: Date,
  options: { dryRun?: boolean },
): Promise<SyncReport> {
  if (!options.dryRun) {
    await db
      .update(domainBlockSubscriptions)
      .set({ lastFetchedAt: now, lastError: error, lastErrorAt: now })
      .where(eq(domainBlockSubscriptions.id, sub.id));
    await recordAudit(db, {
      actor: { kind: "subscription", subscriptionId: sub.id },
      action: "subscription.sync_failed",
      target: sub.url,
      details: { status, error },
      source: "subscription",
    });
  }
  return report(sub.id, status, error);
}

/**
 * Syncs every enabled subscription whose interval has passed, highest
 * priority first, one after another. The scheduling loop lives elsewhere.
 */
export async function syncDueSubscriptions(
  db: Db,
  now: Date,
  deps: Omit<SyncDeps, "now">,
): Promise<SyncReport[]> {
  const subs = await db
    .select()
    .from(domainBlockSubscriptions)
    .where(eq(domainBlockSubscriptions.enabled, true))
    .orderBy(desc(domainBlockSubscriptions.priority), asc(domainBlockSubscriptions.id));
  const reports: SyncReport[] = [];
  for (const sub of subs) {
    const due =
      sub.lastFetchedAt === null ||
      sub.lastFetchedAt.getTime() + sub.syncIntervalSeconds * 1000 <= now.getTime();
    if (!due) continue;
    const result = await syncSubscription(db, sub.id, { ...deps, now: () => now });
    if (result.ok) reports.push(result.value);
  }
  return reports;
}

/** What subscribing to a URL would block, before creating the subscription. */
export async function previewSubscriptionUrl(
  db: Db,
  input: { url: string; format?: DomainBlockSubscription["format"] },
  deps: SyncDeps,
): Promise<ModerationResult<SyncReport>> {
  const fetched = await fetchBody(deps, input.url);
  if (!fetched.ok) return success(report(0, "fetch_failed", fetched.error));
  const listed = await listEntries(db, fetched, input.format ?? "auto", deps.localDomain);
  if (!listed.ok) return success(report(0, "parse_failed", listed.error));
  const { entries, parsed, ignored } = listed.value;
  const snapshot = await loadSnapshot(db);
  // A stand-in subscription (id 0 never exists) with default settings.
  const subscriptions = new Map(snapshot.ctx.subscriptions);
  subscriptions.set(0, { id: 0, priority: 100, enabled: true, title: "", url: input.url });
  const ctx = { ...snapshot.ctx, subscriptions };
  const { ops } = subscriptionOps(snapshot, { id: 0, reviewMode: false }, entries);
  const plan = planChanges(snapshot, ops, { ctx });
  return success({
    ...report(0, "synced"),
    changes: await buildPreview(db, snapshot, plan),
    excluded: entries.filter((e) => isExcluded(e.domain, ctx.exclusions)).map((e) => e.domain),
    ignored,
    errors: parsed.errors,
    duplicates: parsed.duplicates,
    newlySuspended: newlySuspended(plan),
  });
}
