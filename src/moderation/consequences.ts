import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { domainAllows } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import { isSameOrSubdomain } from "./domain.ts";
import { loadFollowerCounts } from "./impact.ts";
import { purgeBlockedAccount, REMOTE_DATA_PURGERS } from "./purge.ts";
import { purgeSuspendedDomains } from "./purge-batch.ts";
import { getModerationSettings, withModerationLock } from "./state.ts";
import type { ModerationActor } from "./types.ts";

/** What a policy change reported (any service's `newlySuspended`, a new account block). */
export interface PolicyChange {
  readonly newlySuspended?: readonly string[];
  /** The IRI of an actor that was just blocked. */
  readonly blockedAccount?: string;
}

export interface PurgedTarget {
  /** A domain or an actor IRI. */
  readonly target: string;
  readonly reason: "suspended" | "not_allowlisted" | "account_blocked";
  /** Rows removed per purger, e.g. `{follows: 3}`. */
  readonly removed: Record<string, number>;
}

/**
 * What must follow any change of federation policy, for every caller (admin
 * API, CLI, subscription sync): data from each newly suspended domain and a
 * newly blocked account is purged (the domains in one set-based pass and
 * one audit entry), and in allowlist mode so is that of every
 * follower domain that is not allowed — switching the mode on, or removing an
 * allow while it is on, cuts those followers the way a suspension would.
 * Each purge is audited (one entry for all the domains of one change). Safe
 * to call again: purging twice finds nothing the second time.
 */
export async function applyPolicyConsequences(
  db: Db,
  change: PolicyChange,
  actor: ModerationActor,
): Promise<PurgedTarget[]> {
  const purged: PurgedTarget[] = [];
  // All at once: an imported list can suspend tens of thousands of domains.
  for (const p of await purgeSuspendedDomains(db, change.newlySuspended ?? [], { actor })) {
    purged.push({ target: p.domain, reason: "suspended", removed: p.removed });
  }
  if (change.blockedAccount !== undefined) {
    const result = await purgeBlockedAccount(db, change.blockedAccount, { actor });
    if (result.ok) {
      purged.push({ target: change.blockedAccount, reason: "account_blocked", ...result.value });
    }
  }
  purged.push(...(await purgeNotAllowlisted(db, actor)));
  return purged;
}

/**
 * In allowlist mode, removes what we hold from follower domains that are not
 * allowed. Works actor by actor on the exact host, so an allowed subdomain
 * (`video.example.com` allowed, `example.com` not) keeps its followers.
 */
export async function purgeNotAllowlisted(db: Db, actor: ModerationActor): Promise<PurgedTarget[]> {
  if ((await getModerationSettings(db)).federationMode !== "allowlist") return [];
  const allowed = (await db.select({ domain: domainAllows.domain }).from(domainAllows)).map(
    (a) => a.domain,
  );
  const candidates = (await loadFollowerCounts(db))
    .map((f) => f.domain)
    .filter((d) => !allowed.some((a) => isSameOrSubdomain(d, a)));
  const purged: PurgedTarget[] = [];
  for (const domain of candidates) {
    const removed = await withModerationLock(db, async (tx) => {
      // Re-checked under the lock: an allow added meanwhile wins.
      if ((await getModerationSettings(tx)).federationMode !== "allowlist") return null;
      const allows = await tx.select({ domain: domainAllows.domain }).from(domainAllows);
      if (allows.some((a) => isSameOrSubdomain(domain, a.domain))) return null;
      const actors = await queryRows<{ iri: string }>(
        tx,
        sql`SELECT DISTINCT ra.iri FROM remote_actors ra JOIN follows f ON f.follower_id = ra.id
             WHERE rtrim(lower(ra.domain), '.') = ${domain}`,
      );
      const counts: Record<string, number> = {};
      for (const { iri } of actors) {
        for (const purger of REMOTE_DATA_PURGERS) {
          const n = (await purger.purge(tx, { kind: "actor", actorIri: iri })).length;
          counts[purger.name] = (counts[purger.name] ?? 0) + n;
        }
      }
      await recordAudit(tx, {
        actor,
        action: "domain_block.purge",
        target: domain,
        details: { removed: counts, reason: "not_allowlisted" },
        source: "system",
      });
      return counts;
    });
    if (removed) purged.push({ target: domain, reason: "not_allowlisted", removed });
  }
  return purged;
}
