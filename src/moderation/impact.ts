import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { coveringDomains, isSameOrSubdomain } from "./domain.ts";
import type { EffectiveChange, Plan } from "./planner.ts";
import type { ModerationSnapshot } from "./snapshot.ts";
import type { BlockRule, Severity } from "./types.ts";

/** Remote followers of our actors, per follower domain. */
export interface FollowerCounts {
  readonly domain: string;
  readonly followers: number;
  readonly pendingRequests: number;
}

export interface DomainImpact {
  /** Accepted follows from this domain (and its subdomains) the change would end. */
  readonly followersCut: number;
  /** Pending follow requests it would refuse. */
  readonly pendingRequestsCut: number;
}

/** One row per follower domain: cheap however long a blocklist is. */
export async function loadFollowerCounts(db: Db): Promise<FollowerCounts[]> {
  const rows = await queryRows<{
    domain: string;
    accepted: string | number;
    pending: string | number;
  }>(
    db,
    sql`SELECT ra.domain AS domain,
               count(*) FILTER (WHERE f.status = 'accepted') AS accepted,
               count(*) FILTER (WHERE f.status = 'pending') AS pending
          FROM follows f JOIN remote_actors ra ON ra.id = f.follower_id
         GROUP BY ra.domain`,
  );
  const byDomain = new Map<string, { followers: number; pendingRequests: number }>();
  for (const r of rows) {
    // remote_actors.domain is the URL host: lower-case, maybe a trailing dot.
    const domain = r.domain.toLowerCase().replace(/\.$/, "");
    const entry = byDomain.get(domain) ?? { followers: 0, pendingRequests: 0 };
    entry.followers += Number(r.accepted);
    entry.pendingRequests += Number(r.pending);
    byDomain.set(domain, entry);
  }
  return [...byDomain].map(([domain, c]) => ({ domain, ...c }));
}

function harshest(
  domain: string,
  lookup: (d: string) => BlockRule | null | undefined,
): Severity | null {
  let out: Severity | null = null;
  for (const d of coveringDomains(domain)) {
    const s = lookup(d)?.severity;
    if (s === "suspend") return s;
    if (s === "silence" || (s === "noop" && out === null)) out = s;
  }
  return out;
}

/**
 * Which follows each effective change would cut: a follower domain is cut
 * when it was not rejected before (by a suspension or by allowlist mode) and
 * is suspended after. The cut is attributed to the most specific changed
 * domain covering it. Silencing cuts nothing (silenced accounts may still
 * follow, as on Mastodon).
 */
export function computeImpact(
  snapshot: ModerationSnapshot,
  plan: Plan,
  followers: readonly FollowerCounts[],
): Map<string, DomainImpact> {
  const changes = new Map<string, EffectiveChange>(plan.effectiveChanges.map((c) => [c.domain, c]));
  const impact = new Map<string, { followersCut: number; pendingRequestsCut: number }>();
  if (changes.size === 0) return impact;
  const before = (d: string) => snapshot.effective.get(d);
  const after = (d: string) => (changes.has(d) ? changes.get(d)!.after : snapshot.effective.get(d));
  const allowlist = snapshot.settings.federationMode === "allowlist";
  for (const f of followers) {
    if (allowlist && !snapshot.allows.some((a) => isSameOrSubdomain(f.domain, a))) continue;
    if (harshest(f.domain, before) === "suspend") continue;
    if (harshest(f.domain, after) !== "suspend") continue;
    const cause = coveringDomains(f.domain).find(
      (d) => changes.get(d)?.after?.severity === "suspend",
    );
    if (cause === undefined) continue;
    const entry = impact.get(cause) ?? { followersCut: 0, pendingRequestsCut: 0 };
    entry.followersCut += f.followers;
    entry.pendingRequestsCut += f.pendingRequests;
    impact.set(cause, entry);
  }
  return impact;
}
