import type { ParsedEntry, ParseIssue } from "./blocklist-parse.ts";
import { refusingParent } from "./parent-rule.ts";
import { type ClaimOp, type Plan, planChanges } from "./planner.ts";
import { publicSuffixReason } from "./public-suffix.ts";
import { claimOf, type ModerationSnapshot } from "./snapshot.ts";
import type { BlockRule, Claim } from "./types.ts";

/** An entry that blocks a whole TLD or public suffix: applied only when the admin names it. */
export interface NeedsConfirmation {
  readonly line: number;
  readonly domain: string;
  readonly reason: string;
}

export interface ImportPlan {
  readonly ops: ClaimOp[];
  readonly plan: Plan;
  /** Entries refused by the parent rule, as line-numbered errors. */
  readonly refused: ParseIssue[];
  readonly needsConfirmation: NeedsConfirmation[];
}

/**
 * What importing `entries` as the admin's own claims means: the claim
 * operations (in `replace` mode also removing hand-made blocks the file
 * lacks), minus the entries the admin API would refuse (a subdomain under a
 * parent blocked at least as strictly, by this file or already), and the
 * entries that block a public suffix.
 */
export function planImport(
  snapshot: ModerationSnapshot,
  entries: readonly ParsedEntry[],
  mode: "merge" | "replace",
  note: string,
): ImportPlan {
  const lineOf = new Map(entries.map((e) => [e.domain, e.line]));
  const claims = entries.map((e): Claim => {
    const existing = claimOf(snapshot, e.domain, null);
    return {
      domain: e.domain,
      subscriptionId: null,
      severity: e.severity,
      rejectMedia: e.rejectMedia,
      rejectReports: e.rejectReports,
      publicComment: e.publicComment,
      obfuscate: e.obfuscate,
      // Mastodon's export has no private comment: keep ours rather than report a change.
      privateComment: e.privateComment ?? (existing ? existing.privateComment : note),
    };
  });
  const named = new Set(claims.map((c) => c.domain));
  const refusedDomains = refuseCoveredChildren(snapshot, claims, mode, named, lineOf);
  const kept = claims.filter((c) => !refusedDomains.has(c.domain));
  const ops = importOps(snapshot, kept, mode, named);
  const plan = planChanges(snapshot, ops);
  const needsConfirmation: NeedsConfirmation[] = [];
  for (const c of plan.claimChanges) {
    if (c.change !== "new" && c.change !== "changed") continue;
    const reason = publicSuffixReason(c.domain);
    if (reason)
      needsConfirmation.push({ line: lineOf.get(c.domain) ?? 0, domain: c.domain, reason });
  }
  needsConfirmation.sort((a, b) => a.line - b.line);
  const refused = [...refusedDomains.values()].sort((a, b) => a.line - b.line);
  return { ops, plan, refused, needsConfirmation };
}

function importOps(
  snapshot: ModerationSnapshot,
  claims: readonly Claim[],
  mode: "merge" | "replace",
  named: ReadonlySet<string>,
): ClaimOp[] {
  const ops: ClaimOp[] = claims.map((claim) => ({ op: "put", claim }));
  if (mode === "replace") {
    for (const [domain] of snapshot.claims) {
      if (!named.has(domain) && claimOf(snapshot, domain, null)) {
        ops.push({ op: "delete", domain, subscriptionId: null });
      }
    }
  }
  return ops;
}

/**
 * The parent rule against the state after the import, so that a file naming
 * `example.com suspend` and `sub.example.com silence` is judged as if the
 * parent were already there. Parents are decided before children; a refused
 * entry leaves what stood before for its own subdomains.
 */
function refuseCoveredChildren(
  snapshot: ModerationSnapshot,
  claims: readonly Claim[],
  mode: "merge" | "replace",
  named: ReadonlySet<string>,
  lineOf: ReadonlyMap<string, number>,
): Map<string, ParseIssue> {
  const first = planChanges(snapshot, importOps(snapshot, claims, mode, named));
  const after = new Map<string, BlockRule | null>(
    first.effectiveChanges.map((c) => [c.domain, c.after]),
  );
  const lookup = (d: string) => (after.has(d) ? after.get(d) : snapshot.effective.get(d));
  const depth = (d: string) => d.split(".").length;
  const refused = new Map<string, ParseIssue>();
  for (const claim of [...claims].sort((a, b) => depth(a.domain) - depth(b.domain))) {
    const parent = refusingParent(lookup, claim.domain, claim);
    if (!parent) continue;
    const inFile = lineOf.get(parent.domain);
    refused.set(claim.domain, {
      line: lineOf.get(claim.domain) ?? 0,
      message:
        `${claim.domain} is not imported: ${parent.domain} is already blocked at least as strictly ` +
        `(${parent.block.severity}${inFile === undefined ? "" : `, line ${inFile}`}); ` +
        "a subdomain's block must be stricter than its parent's, as in the admin API",
    });
    const before = snapshot.effective.get(claim.domain);
    after.set(claim.domain, before ?? null);
  }
  return refused;
}
