/**
 * Domain federation policy: blocks, allows, account blocks, imports,
 * subscriptions, the audit log, and the one policy everything consults.
 * See README.md in this folder for the model and the decisions behind it.
 */
export * from "./account-blocks.service.ts";
export { type AuditAction, type AuditLogQuery, type AuditSource, listAuditLog } from "./audit.ts";
export {
  type ListFormat,
  MASTODON_CSV_COLUMNS,
  type ObfuscatedEntry,
  type ParsedBlocklist,
  type ParsedEntry,
  type ParseIssue,
  parseBlocklist,
} from "./blocklist-parse.ts";
export { type CombineContext, effectiveRule, mergeComments, mergeRules } from "./combine.ts";
export * from "./consequences.ts";
export {
  coveringDomains,
  type DomainKind,
  domainOfUrl,
  isSameOrSubdomain,
  type NormalizedDomain,
  normalizeDomain,
} from "./domain.ts";
export * from "./domain-allows.service.ts";
export * from "./domain-blocks.service.ts";
export * from "./drafts.service.ts";
export type { ModerationError, ModerationResult } from "./errors.ts";
export * from "./exclusions.service.ts";
export type { DomainImpact, FollowerCounts } from "./impact.ts";
export * from "./import.service.ts";
export * from "./instance-settings.service.ts";
export * from "./mastodon.ts";
export type { ClaimChange, EffectiveChange, Plan } from "./planner.ts";
export * from "./policy.ts";
export type { ChangePreview, PreviewEntry } from "./preview.ts";
export * from "./purge.ts";
export * from "./settings.service.ts";
export {
  MODERATION_CHANNEL,
  type ModerationSettings,
  readModerationVersion,
} from "./state.ts";
export type { IgnoredEntry } from "./subscription-entries.ts";
export * from "./subscription-sync.ts";
export * from "./subscriptions.service.ts";
export * from "./types.ts";
