/**
 * Mastodon's report categories are `spam`, `legal`, `violation` and `other`;
 * Haven keeps `spam` and `other` with Mastodon's meaning and adds the two a
 * support community needs most. `someone_may_be_at_risk` sorts first for
 * moderators and shows the reporter where to find help.
 */
export const REPORT_CATEGORIES = ["spam", "harassment", "someone_may_be_at_risk", "other"] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];
export const AT_RISK: ReportCategory = "someone_may_be_at_risk";

export function isReportCategory(value: unknown): value is ReportCategory {
  return typeof value === "string" && (REPORT_CATEGORIES as readonly string[]).includes(value);
}

/** What the watch page's radios say for each category. */
export const CATEGORY_LABELS: Record<ReportCategory, string> = {
  someone_may_be_at_risk: "Someone may be at risk of harming themselves",
  harassment: "Harassment or hurtful content",
  spam: "Spam",
  other: "Something else",
};

/** Mastodon's cap on a report's comment. */
export const MAX_REPORT_COMMENT = 1_000;
