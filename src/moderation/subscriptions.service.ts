import { asc, desc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { domainBlockSubscriptions } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import type { CombineContext } from "./combine.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { applyPlan, type ClaimOp, newlySuspended, type Plan, planChanges } from "./planner.ts";
import { loadSnapshot, type ModerationSnapshot } from "./snapshot.ts";
import { bumpModerationVersion, withModerationLock } from "./state.ts";
import type { DomainBlockSubscription, ModerationActor } from "./types.ts";

export type SubscriptionFormat = DomainBlockSubscription["format"];

export interface SubscriptionInput {
  url: string;
  title?: string;
  /** `auto` (default) sniffs: JSON array, CSV with a `#domain` header, else plain. */
  format?: SubscriptionFormat;
  /** 0–255, higher first; default 100. */
  priority?: number;
  /** New and changed entries wait as drafts for an admin. */
  reviewMode?: boolean;
  enabled?: boolean;
  /** At least 60; default one day. */
  syncIntervalSeconds?: number;
}

export type SubscriptionPatch = Partial<SubscriptionInput>;

const FORMATS: readonly SubscriptionFormat[] = ["auto", "mastodon_csv", "mastodon_json", "plain"];

function validate(input: SubscriptionPatch): string | null {
  if (input.url !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(input.url);
    } catch {}
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      return `"${input.url}" is not an http(s) URL`;
    }
  }
  if (input.format !== undefined && !FORMATS.includes(input.format)) {
    return `format must be one of ${FORMATS.join(", ")}`;
  }
  if (
    input.priority !== undefined &&
    (!Number.isInteger(input.priority) || input.priority < 0 || input.priority > 255)
  ) {
    return "priority must be a whole number from 0 to 255";
  }
  if (
    input.syncIntervalSeconds !== undefined &&
    (!Number.isInteger(input.syncIntervalSeconds) || input.syncIntervalSeconds < 60)
  ) {
    return "syncIntervalSeconds must be a whole number of at least 60";
  }
  return null;
}

/** Creates a subscription; nothing is fetched or applied until `syncSubscription`. */
export function createSubscription(
  db: Db,
  input: SubscriptionInput,
  actor: ModerationActor,
): Promise<ModerationResult<DomainBlockSubscription>> {
  const problem = validate(input);
  if (problem) return Promise.resolve(fail("invalid", problem));
  return withModerationLock(db, async (tx) => {
    const [existing] = await tx
      .select({ id: domainBlockSubscriptions.id })
      .from(domainBlockSubscriptions)
      .where(eq(domainBlockSubscriptions.url, input.url));
    if (existing) return fail("conflict", `There is already a subscription to ${input.url}`);
    const [row] = await tx
      .insert(domainBlockSubscriptions)
      .values({
        url: input.url,
        title: input.title ?? "",
        format: input.format ?? "auto",
        priority: input.priority ?? 100,
        reviewMode: input.reviewMode ?? false,
        enabled: input.enabled ?? true,
        syncIntervalSeconds: input.syncIntervalSeconds ?? 86_400,
        createdByAccountId: actor.kind === "account" ? actor.accountId : null,
      })
      .returning();
    await recordAudit(tx, {
      actor,
      action: "subscription.create",
      target: row!.url,
      details: { id: row!.id, ...input },
      source: "manual",
    });
    return success(row!);
  });
}

/** Ops and context that drop or re-weigh every claim of one subscription. */
function subscriptionDomains(snapshot: ModerationSnapshot, id: number): string[] {
  const out: string[] = [];
  for (const [domain, claims] of snapshot.claims) {
    if (claims.some((c) => c.subscriptionId === id)) out.push(domain);
  }
  return out;
}

/**
 * Changes a subscription. Enabling, disabling or re-prioritising recomputes
 * the blocks it contributes to; a new URL or format is used at the next sync.
 */
export function updateSubscription(
  db: Db,
  id: number,
  patch: SubscriptionPatch,
  actor: ModerationActor,
): Promise<ModerationResult<{ subscription: DomainBlockSubscription; newlySuspended: string[] }>> {
  const problem = validate(patch);
  if (problem) return Promise.resolve(fail("invalid", problem));
  return withModerationLock(db, async (tx) => {
    const snapshot = await loadSnapshot(tx);
    const current = snapshot.ctx.subscriptions.get(id);
    if (!current) return fail("not_found", "Record not found");
    const [row] = await tx
      .update(domainBlockSubscriptions)
      .set({
        ...patch,
        // A new source must be parsed again even if its body looks the same.
        ...(patch.url !== undefined || patch.format !== undefined ? { lastDigest: null } : {}),
        updatedAt: new Date(),
      })
      .where(eq(domainBlockSubscriptions.id, id))
      .returning();
    const subscriptions = new Map(snapshot.ctx.subscriptions);
    subscriptions.set(id, {
      ...current,
      enabled: row!.enabled,
      priority: row!.priority,
      title: row!.title,
      url: row!.url,
    });
    const ctx: CombineContext = { ...snapshot.ctx, subscriptions };
    const plan = planChanges(snapshot, [], { ctx, touched: subscriptionDomains(snapshot, id) });
    await applyPlan(tx, plan);
    await recordAudit(tx, {
      actor,
      action: "subscription.update",
      target: row!.url,
      details: { id, ...patch, effectiveChanges: plan.effectiveChanges.length },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({ subscription: row!, newlySuspended: newlySuspended(plan) });
  });
}

/** Deletes a subscription and its claims; blocks only it made are lifted. */
export function deleteSubscription(
  db: Db,
  id: number,
  actor: ModerationActor,
): Promise<ModerationResult<{ plan: Plan }>> {
  return withModerationLock(db, async (tx) => {
    const snapshot = await loadSnapshot(tx);
    const current = snapshot.ctx.subscriptions.get(id);
    if (!current) return fail("not_found", "Record not found");
    const ops: ClaimOp[] = subscriptionDomains(snapshot, id).map((domain) => ({
      op: "delete",
      domain,
      subscriptionId: id,
    }));
    const plan = planChanges(snapshot, ops);
    await applyPlan(tx, plan);
    await tx.delete(domainBlockSubscriptions).where(eq(domainBlockSubscriptions.id, id));
    await recordAudit(tx, {
      actor,
      action: "subscription.destroy",
      target: current.url,
      details: {
        id,
        unblocked: plan.effectiveChanges.filter((c) => c.kind === "deleted").map((c) => c.domain),
      },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({ plan });
  });
}

export async function getSubscription(db: Db, id: number): Promise<DomainBlockSubscription | null> {
  const [row] = await db
    .select()
    .from(domainBlockSubscriptions)
    .where(eq(domainBlockSubscriptions.id, id));
  return row ?? null;
}

/** Highest priority first. */
export function listSubscriptions(db: Db): Promise<DomainBlockSubscription[]> {
  return db
    .select()
    .from(domainBlockSubscriptions)
    .orderBy(desc(domainBlockSubscriptions.priority), asc(domainBlockSubscriptions.id));
}
