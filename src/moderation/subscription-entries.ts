import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import {
  type ListFormat,
  type ParsedBlocklist,
  type ParsedEntry,
  parseBlocklist,
} from "./blocklist-parse.ts";
import { isExcluded } from "./combine.ts";
import { isSameOrSubdomain, normalizeDomain } from "./domain.ts";
import { domainDigest } from "./mastodon.ts";
import type { ClaimOp } from "./planner.ts";
import type { ModerationSnapshot } from "./snapshot.ts";
import { type DomainRule, ruleOf, sameRule } from "./types.ts";

/** A list entry that is reported but never applied. */
export interface IgnoredEntry {
  readonly line: number;
  readonly domain: string;
  readonly reason: string;
}

export interface ListedEntries {
  readonly entries: ParsedEntry[];
  readonly parsed: ParsedBlocklist;
  readonly ignored: IgnoredEntry[];
}

/**
 * A fetched body as the entries a subscription may claim. Obfuscated
 * entries (`exa****.com`) are matched by their digest against domains we
 * know (remote actors, blocks, allows); the rest are skipped and reported.
 * An entry naming our own domain or a parent of it is ignored and reported:
 * no list can cut this instance off from itself.
 */
export async function listEntries(
  db: Db,
  fetched: { text: string; contentType: string | null },
  format: ListFormat | "auto",
  localDomain: string,
): Promise<{ ok: true; value: ListedEntries } | { ok: false; error: string }> {
  const parsed = parseBlocklist(fetched.text, {
    format,
    ...(fetched.contentType ? { contentType: fetched.contentType } : {}),
  });
  if (parsed.fatal) return { ok: false, error: parsed.fatal };
  const ignored: IgnoredEntry[] = [];
  const entries = [...parsed.entries];
  const seen = new Set(entries.map((e) => e.domain));
  if (parsed.obfuscated.length > 0) {
    const known = await knownDomainsByDigest(db);
    for (const o of parsed.obfuscated) {
      const domain = o.digest ? known.get(o.digest) : undefined;
      if (domain === undefined) {
        ignored.push({
          line: o.line,
          domain: o.domain,
          reason: "obfuscated, and its digest matches no domain known here",
        });
      } else if (!seen.has(domain)) {
        seen.add(domain);
        const { line, domain: _obfuscated, digest: _digest, ...rule } = o;
        entries.push({ line, domain, ...rule });
      }
    }
  }
  const local = normalizeDomain(localDomain);
  const usable = entries.filter((e) => {
    if (local.ok && isSameOrSubdomain(local.domain, e.domain)) {
      ignored.push({
        line: e.line,
        domain: e.domain,
        reason:
          e.domain === local.domain
            ? "names this instance's own domain"
            : "would block this instance's own domain",
      });
      return false;
    }
    return true;
  });
  if (usable.length === 0) {
    const problems = parsed.errors.length + ignored.length;
    return {
      ok: false,
      error: `the list was fetched but has no usable entries${problems > 0 ? ` (${problems} rejected or ignored)` : ""}`,
    };
  }
  return { ok: true, value: { entries: usable, parsed, ignored } };
}

async function knownDomainsByDigest(db: Db): Promise<Map<string, string>> {
  const rows = await queryRows<{ domain: string }>(
    db,
    sql`SELECT domain FROM remote_actors
        UNION SELECT domain FROM domain_blocks
        UNION SELECT domain FROM domain_allows`,
  );
  return new Map(rows.map((r) => [domainDigest(r.domain), r.domain]));
}

/**
 * Claim operations for one subscription's fresh entries. In review mode, new
 * or changed entries become drafts instead (excluded ones not even that);
 * dropped entries always lose this list's claim.
 */
export function subscriptionOps(
  snapshot: ModerationSnapshot,
  sub: { id: number; reviewMode: boolean },
  entries: readonly ParsedEntry[],
): { ops: ClaimOp[]; drafts: DomainRule[] } {
  const ops: ClaimOp[] = [];
  const drafts: DomainRule[] = [];
  const listed = new Set<string>();
  for (const e of entries) {
    listed.add(e.domain);
    const rule = ruleOf(e);
    const existing = snapshot.claims.get(e.domain)?.find((c) => c.subscriptionId === sub.id);
    if (!sub.reviewMode || (existing && sameRule(existing, rule))) {
      ops.push({ op: "put", claim: { domain: e.domain, subscriptionId: sub.id, ...rule } });
    } else if (!isExcluded(e.domain, snapshot.ctx.exclusions)) {
      drafts.push({ domain: e.domain, ...rule });
    }
  }
  for (const [domain, claims] of snapshot.claims) {
    if (!listed.has(domain) && claims.some((c) => c.subscriptionId === sub.id)) {
      ops.push({ op: "delete", domain, subscriptionId: sub.id });
    }
  }
  return { ops, drafts };
}
