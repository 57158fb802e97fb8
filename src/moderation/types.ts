import type {
  accountBlocks,
  domainAllows,
  domainBlockDrafts,
  domainBlockExclusions,
  domainBlockSources,
  domainBlockSubscriptions,
  domainBlocks,
  moderationAuditLog,
} from "../db/schema/index.ts";

export type Severity = "suspend" | "silence" | "noop";
export const SEVERITIES: readonly Severity[] = ["suspend", "silence", "noop"];

export type DomainBlock = typeof domainBlocks.$inferSelect;
export type DomainBlockSource = typeof domainBlockSources.$inferSelect;
export type DomainAllow = typeof domainAllows.$inferSelect;
export type AccountBlock = typeof accountBlocks.$inferSelect;
export type DomainBlockSubscription = typeof domainBlockSubscriptions.$inferSelect;
export type DomainBlockDraft = typeof domainBlockDrafts.$inferSelect;
export type DomainBlockExclusion = typeof domainBlockExclusions.$inferSelect;
export type AuditLogEntry = typeof moderationAuditLog.$inferSelect;

/** What a block says about a domain, whoever says it. */
export interface BlockRule {
  severity: Severity;
  rejectMedia: boolean;
  rejectReports: boolean;
  privateComment: string | null;
  publicComment: string | null;
  obfuscate: boolean;
}

/** A rule for a domain, e.g. one row of an imported list or a subscription. */
export interface DomainRule extends BlockRule {
  domain: string;
}

/** A source's claim: `subscriptionId` null means the admin's own (manual) block. */
export interface Claim extends DomainRule {
  subscriptionId: number | null;
}

/** Who acts. Stored in the audit log as `account:<uuid>`, `subscription:<id>` or `system`. */
export type ModerationActor =
  | { readonly kind: "account"; readonly accountId: string }
  | { readonly kind: "subscription"; readonly subscriptionId: number }
  | { readonly kind: "system" };

export const SYSTEM_ACTOR: ModerationActor = { kind: "system" };

/** How subscription claims on one domain combine (an instance setting). */
export type CombinationPolicy =
  /** Harshest severity and OR of the flags across all lists (FediBlockHole's `max`). */
  | { readonly kind: "harshest" }
  /** Blocked only when at least `threshold` lists name the domain; then harshest. */
  | { readonly kind: "threshold"; readonly threshold: number }
  /** The highest-priority list naming the domain decides (GoToSocial's order). */
  | { readonly kind: "priority" };

export type FederationMode = "blocklist" | "allowlist";

const RANK: Record<Severity, number> = { noop: 0, silence: 1, suspend: 2 };

export function severityRank(severity: Severity): number {
  return RANK[severity];
}

export function harsherSeverity(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}

export function isSeverity(value: unknown): value is Severity {
  return value === "suspend" || value === "silence" || value === "noop";
}

/**
 * Mastodon's `DomainBlock#stricter_than?`: whether `block` restricts at least
 * as much as `other` on every axis, and so may be created under it.
 */
export function stricterThan(
  block: Pick<BlockRule, "severity" | "rejectMedia" | "rejectReports">,
  other: Pick<BlockRule, "severity" | "rejectMedia" | "rejectReports">,
): boolean {
  if (block.severity === "suspend") return true;
  if (other.severity === "suspend") return false;
  if (other.severity === "silence" && block.severity === "noop") return false;
  return (block.rejectMedia || !other.rejectMedia) && (block.rejectReports || !other.rejectReports);
}

/** Whether two rules would behave and read the same (comments included). */
export function sameRule(a: BlockRule, b: BlockRule): boolean {
  return (
    a.severity === b.severity &&
    a.rejectMedia === b.rejectMedia &&
    a.rejectReports === b.rejectReports &&
    a.obfuscate === b.obfuscate &&
    (a.publicComment ?? "") === (b.publicComment ?? "") &&
    (a.privateComment ?? "") === (b.privateComment ?? "")
  );
}

export function ruleOf(row: BlockRule): BlockRule {
  return {
    severity: row.severity,
    rejectMedia: row.rejectMedia,
    rejectReports: row.rejectReports,
    privateComment: row.privateComment,
    publicComment: row.publicComment,
    obfuscate: row.obfuscate,
  };
}

export function actorLabel(actor: ModerationActor): string {
  switch (actor.kind) {
    case "account":
      return `account:${actor.accountId}`;
    case "subscription":
      return `subscription:${actor.subscriptionId}`;
    case "system":
      return "system";
  }
}
