import { and, asc, desc, eq, gt, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { domainAllows } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import { isSameOrSubdomain, normalizeDomain } from "./domain.ts";
import type { PageQuery } from "./domain-blocks.service.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { type DomainImpact, loadFollowerCounts } from "./impact.ts";
import {
  bumpModerationVersion,
  SETTING_FEDERATION_MODE,
  withModerationLock,
  writeSetting,
} from "./state.ts";
import type { DomainAllow, ModerationActor } from "./types.ts";

/**
 * Adds a domain (and so its subdomains) to the allowlist. Like Mastodon's
 * `POST /api/v1/admin/domain_allows`, allowing an allowed domain returns the
 * existing entry and logs nothing.
 */
export function allowDomain(
  db: Db,
  input: { domain: string },
  actor: ModerationActor,
): Promise<ModerationResult<{ domainAllow: DomainAllow; created: boolean }>> {
  const normalized = normalizeDomain(input.domain);
  if (!normalized.ok) return Promise.resolve(fail("invalid", normalized.message));
  const domain = normalized.domain;
  return withModerationLock(db, async (tx) => {
    const [existing] = await tx.select().from(domainAllows).where(eq(domainAllows.domain, domain));
    if (existing) return success({ domainAllow: existing, created: false });
    const [row] = await tx.insert(domainAllows).values({ domain }).returning();
    await recordAudit(tx, {
      actor,
      action: "domain_allow.create",
      target: domain,
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({ domainAllow: row!, created: true });
  });
}

export function unallowDomain(
  db: Db,
  target: { id: number } | { domain: string },
  actor: ModerationActor,
): Promise<ModerationResult<DomainAllow>> {
  let where: SQL;
  if ("id" in target) {
    where = eq(domainAllows.id, target.id);
  } else {
    const normalized = normalizeDomain(target.domain);
    if (!normalized.ok) return Promise.resolve(fail("invalid", normalized.message));
    where = eq(domainAllows.domain, normalized.domain);
  }
  return withModerationLock(db, async (tx) => {
    const [row] = await tx.delete(domainAllows).where(where).returning();
    if (!row) return fail("not_found", "Record not found");
    await recordAudit(tx, {
      actor,
      action: "domain_allow.destroy",
      target: row.domain,
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success(row);
  });
}

export async function getDomainAllow(db: Db, id: number): Promise<DomainAllow | null> {
  const [row] = await db.select().from(domainAllows).where(eq(domainAllows.id, id));
  return row ?? null;
}

/** Newest first, paged by id like Mastodon's admin API. */
export async function listDomainAllows(db: Db, page: PageQuery = {}): Promise<DomainAllow[]> {
  const conditions: SQL[] = [];
  if (page.maxId !== undefined) conditions.push(lt(domainAllows.id, page.maxId));
  if (page.sinceId !== undefined) conditions.push(gt(domainAllows.id, page.sinceId));
  if (page.minId !== undefined) conditions.push(gt(domainAllows.id, page.minId));
  const where = conditions.length === 0 ? undefined : and(...conditions);
  const limit = Math.min(Math.max(page.limit ?? 100, 1), 200);
  if (page.minId !== undefined) {
    // min_id pages forward from the oldest side, then reads newest first (as for blocks).
    const rows = await db
      .select()
      .from(domainAllows)
      .where(where)
      .orderBy(asc(domainAllows.id))
      .limit(limit);
    return rows.reverse();
  }
  return db.select().from(domainAllows).where(where).orderBy(desc(domainAllows.id)).limit(limit);
}

/**
 * Turns allowlist mode on or off. With it on, only allowed domains (and
 * their subdomains) federate; domain blocks still apply on top.
 */
export function setAllowlistMode(
  db: Db,
  enabled: boolean,
  actor: ModerationActor,
): Promise<ModerationResult<{ federationMode: "allowlist" | "blocklist" }>> {
  const federationMode = enabled ? "allowlist" : "blocklist";
  return withModerationLock(db, async (tx) => {
    await writeSetting(tx, SETTING_FEDERATION_MODE, federationMode);
    await recordAudit(tx, {
      actor,
      action: "settings.update",
      target: SETTING_FEDERATION_MODE,
      details: { value: federationMode },
      source: "manual",
    });
    await bumpModerationVersion(tx);
    return success({ federationMode });
  });
}

/** Follower domains allowlist mode would cut with the current allowlist. */
export async function previewAllowlistMode(
  db: Db,
): Promise<{ byDomain: (DomainImpact & { domain: string })[]; totals: DomainImpact }> {
  const allows = (await db.select({ domain: domainAllows.domain }).from(domainAllows)).map(
    (a) => a.domain,
  );
  const byDomain = (await loadFollowerCounts(db))
    .filter((f) => !allows.some((a) => isSameOrSubdomain(f.domain, a)))
    .map((f) => ({
      domain: f.domain,
      followersCut: f.followers,
      pendingRequestsCut: f.pendingRequests,
    }));
  return {
    byDomain,
    totals: {
      followersCut: byDomain.reduce((n, d) => n + d.followersCut, 0),
      pendingRequestsCut: byDomain.reduce((n, d) => n + d.pendingRequestsCut, 0),
    },
  };
}
