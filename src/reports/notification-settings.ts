import { inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { instanceSettings } from "../db/schema/index.ts";
import { type CrisisResources, readCrisisResources } from "./crisis-resources.ts";

/**
 * Keys in `instance_settings` (jsonb values) that the admin's instance
 * settings API writes and reports read: a URL string, a secret string, and
 * `{text, entries: [{label, url?, phone?, region?}]}`.
 */
export const SETTING_REPORT_WEBHOOK_URL = "report_webhook_url";
export const SETTING_REPORT_WEBHOOK_SECRET = "report_webhook_secret";
export const SETTING_CRISIS_RESOURCES = "crisis_resources";

/** What reports need from the instance settings. */
export interface ReportNotificationSettings {
  /** Where every new local report is posted; null: no webhook. */
  readonly webhookUrl: string | null;
  /** HMAC-SHA256 key of `X-Haven-Signature`; null: sent unsigned. */
  readonly webhookSecret: string | null;
  crisisResources(): CrisisResources;
}

const nonEmpty = (v: unknown): string | null =>
  typeof v === "string" && v.trim() !== "" ? v.trim() : null;

/** Read fresh each time: a report is rare, and a changed URL must apply at once. */
export async function loadReportNotificationSettings(db: Db): Promise<ReportNotificationSettings> {
  const rows = await db
    .select()
    .from(instanceSettings)
    .where(
      inArray(instanceSettings.key, [
        SETTING_REPORT_WEBHOOK_URL,
        SETTING_REPORT_WEBHOOK_SECRET,
        SETTING_CRISIS_RESOURCES,
      ]),
    );
  const byKey = new Map(rows.map((r) => [r.key, r.value]));
  const resources = readCrisisResources(byKey.get(SETTING_CRISIS_RESOURCES));
  return {
    webhookUrl: nonEmpty(byKey.get(SETTING_REPORT_WEBHOOK_URL)),
    webhookSecret: nonEmpty(byKey.get(SETTING_REPORT_WEBHOOK_SECRET)),
    crisisResources: () => resources,
  };
}
