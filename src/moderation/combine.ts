import { isSameOrSubdomain } from "./domain.ts";
import {
  type BlockRule,
  type Claim,
  type CombinationPolicy,
  harsherSeverity,
  ruleOf,
} from "./types.ts";

export interface SubscriptionInfo {
  readonly id: number;
  readonly priority: number;
  readonly enabled: boolean;
  readonly title: string;
  readonly url: string;
}

/** Everything besides the claims themselves that decides an effective block. */
export interface CombineContext {
  readonly policy: CombinationPolicy;
  /** Normalised domains no subscription may block (subdomains included). */
  readonly exclusions: readonly string[];
  readonly subscriptions: ReadonlyMap<number, SubscriptionInfo>;
}

export function isExcluded(domain: string, exclusions: readonly string[]): boolean {
  return exclusions.some((excluded) => isSameOrSubdomain(domain, excluded));
}

/**
 * The effective block for one domain from its claims, or null for none.
 *
 * - The admin's own claim always wins (admin intent beats any list).
 * - Subscription claims count only from enabled subscriptions, and not at
 *   all for an excluded domain.
 * - `harshest`: harshest severity, OR of the flags; `threshold: N`: the same,
 *   but only once N distinct lists name the domain; `priority`: the
 *   highest-priority list's entry as it is.
 */
export function effectiveRule(
  domain: string,
  claims: readonly Claim[],
  ctx: CombineContext,
): BlockRule | null {
  const manual = claims.find((c) => c.subscriptionId === null);
  if (manual) return ruleOf(manual);
  if (isExcluded(domain, ctx.exclusions)) return null;
  const listed = claims
    .flatMap((claim) => {
      const sub =
        claim.subscriptionId === null ? undefined : ctx.subscriptions.get(claim.subscriptionId);
      return sub?.enabled ? [{ claim, sub }] : [];
    })
    .sort((a, b) => b.sub.priority - a.sub.priority || a.sub.id - b.sub.id);
  const first = listed[0];
  if (!first) return null;
  if (ctx.policy.kind === "priority") {
    return { ...ruleOf(first.claim), privateComment: sourceNote([first.sub], [first.claim]) };
  }
  if (ctx.policy.kind === "threshold" && listed.length < ctx.policy.threshold) return null;
  const merged = mergeRules(listed.map((l) => l.claim));
  return {
    ...merged,
    privateComment: sourceNote(
      listed.map((l) => l.sub),
      listed.map((l) => l.claim),
    ),
  };
}

/**
 * Harshest of several rules: highest severity, any flag set by one is set,
 * comments merged without repeating fragments. Used for lists and for
 * duplicate rows within one file.
 */
export function mergeRules(rules: readonly BlockRule[]): BlockRule {
  const [head, ...rest] = rules;
  if (!head) throw new Error("mergeRules needs at least one rule");
  let out = ruleOf(head);
  for (const r of rest) {
    out = {
      severity: harsherSeverity(out.severity, r.severity),
      rejectMedia: out.rejectMedia || r.rejectMedia,
      rejectReports: out.rejectReports || r.rejectReports,
      obfuscate: out.obfuscate || r.obfuscate,
      publicComment: mergeComments(out.publicComment, r.publicComment),
      privateComment: mergeComments(out.privateComment, r.privateComment),
    };
  }
  return out;
}

/**
 * FediBlockHole's comment merge: fragments split on ", ", duplicates dropped,
 * so re-merging the same lists does not grow the comment.
 */
export function mergeComments(a: string | null, b: string | null): string | null {
  const left = (a ?? "").trim();
  const right = (b ?? "").trim();
  if (right === "" || right === left) return left === "" ? null : left;
  if (left === "") return right;
  const tokens = left.split(", ").filter((t) => t !== "");
  for (const token of right.split(", ")) {
    if (token !== "" && !tokens.includes(token)) tokens.push(token);
  }
  return tokens.join(", ");
}

function sourceNote(subs: readonly SubscriptionInfo[], claims: readonly Claim[]): string {
  const names = subs.map((s) => (s.title.trim() === "" ? s.url : s.title.trim()));
  const note = `Blocklist subscription${names.length > 1 ? "s" : ""}: ${names.join("; ")}`;
  const privateComments = claims.reduce<string | null>(
    (acc, c) => mergeComments(acc, c.privateComment),
    null,
  );
  return privateComments === null ? note : `${note}. ${privateComments}`;
}
