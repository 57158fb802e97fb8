import { inArray, sql } from "drizzle-orm";
import type { CommentsPolicy } from "../comments/comment-policy.ts";
import { type Db, queryRows } from "../db/client.ts";
import { instanceSettings } from "../db/schema/index.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import { recordAudit } from "../moderation/audit.ts";
import type { ModerationActor } from "../moderation/types.ts";
import {
  type CrisisResources,
  checkCrisisResources,
  checkHttpUrl,
  InvalidSettingError,
  readCrisisResources,
} from "./crisis-resources.ts";

/**
 * The safety settings an admin changes at run time, stored in the generic
 * `instance_settings` table under these keys (other parts read them by key).
 */
export const SETTING_KEYS = {
  crisisResources: "crisis_resources",
  hideCounts: "hide_counts",
  reportWebhookUrl: "report_webhook_url",
  reportWebhookSecret: "report_webhook_secret",
  defaultCommentsPolicy: "default_comments_policy",
} as const;

export interface SafetySettings {
  crisisResources: CrisisResources;
  /** Whether the instance's resources are still the built-in default. */
  crisisResourcesAreDefault: boolean;
  /** Like and follower counts kept off public pages and the followers collection. */
  hideCounts: boolean;
  reportWebhookUrl: string | null;
  reportWebhookSecret: string | null;
  defaultCommentsPolicy: CommentsPolicy;
}

const COMMENTS_POLICIES: readonly CommentsPolicy[] = ["open", "approval", "closed"];
/** An HMAC key shorter than this is guessable; longer than this is a paste mistake. */
const SECRET_MIN = 16;
const SECRET_MAX = 256;

export async function getSafetySettings(db: Db): Promise<SafetySettings> {
  const rows = await db
    .select()
    .from(instanceSettings)
    .where(inArray(instanceSettings.key, Object.values(SETTING_KEYS)));
  const byKey = new Map(rows.map((r) => [r.key, r.value as unknown]));
  const str = (key: string) => {
    const v = byKey.get(key);
    return typeof v === "string" && v !== "" ? v : null;
  };
  const policy = byKey.get(SETTING_KEYS.defaultCommentsPolicy);
  return {
    crisisResources: readCrisisResources(byKey.get(SETTING_KEYS.crisisResources)),
    crisisResourcesAreDefault: !byKey.has(SETTING_KEYS.crisisResources),
    // Hidden unless an admin turned them on: a visible count invites comparison.
    hideCounts: byKey.get(SETTING_KEYS.hideCounts) !== false,
    reportWebhookUrl: str(SETTING_KEYS.reportWebhookUrl),
    reportWebhookSecret: str(SETTING_KEYS.reportWebhookSecret),
    defaultCommentsPolicy: COMMENTS_POLICIES.includes(policy as CommentsPolicy)
      ? (policy as CommentsPolicy)
      : "approval",
  };
}

export async function getCrisisResources(db: Db): Promise<CrisisResources> {
  return (await getSafetySettings(db)).crisisResources;
}

export async function getHideCounts(db: Db): Promise<boolean> {
  return (await getSafetySettings(db)).hideCounts;
}

/** Where reports are announced, and the key their bodies are signed with (both or neither). */
export async function getReportWebhook(
  db: Db,
): Promise<{ url: string; secret: string | null } | null> {
  const s = await getSafetySettings(db);
  return s.reportWebhookUrl ? { url: s.reportWebhookUrl, secret: s.reportWebhookSecret } : null;
}

export async function getDefaultCommentsPolicy(db: Db): Promise<CommentsPolicy> {
  return (await getSafetySettings(db)).defaultCommentsPolicy;
}

/** A checked change; `null` clears a setting back to its default. */
export interface SafetySettingsPatch {
  crisisResources?: CrisisResources | null;
  hideCounts?: boolean;
  reportWebhookUrl?: string | null;
  reportWebhookSecret?: string | null;
  defaultCommentsPolicy?: CommentsPolicy | null;
}

const API_FIELDS = new Set(Object.values(SETTING_KEYS));

const clearing = (v: unknown) => v === null || v === "";

/**
 * The API's (and the CLI's) snake_case body, checked strictly: an unknown
 * field or a bad value throws `InvalidSettingError` naming it, before
 * anything is stored.
 */
export function parseSafetySettings(body: Record<string, unknown>): SafetySettingsPatch {
  const patch: SafetySettingsPatch = {};
  for (const key of Object.keys(body)) {
    if (!API_FIELDS.has(key as never)) throw new InvalidSettingError(`unknown setting "${key}"`);
  }
  const b = body;
  if ("crisis_resources" in b) {
    patch.crisisResources =
      b.crisis_resources === null ? null : checkCrisisResources(b.crisis_resources);
  }
  if ("hide_counts" in b) {
    // A form (or the CLI) sends the words; JSON the booleans.
    const v = b.hide_counts === "true" ? true : b.hide_counts === "false" ? false : b.hide_counts;
    if (typeof v !== "boolean") throw new InvalidSettingError("hide_counts must be true or false");
    patch.hideCounts = v;
  }
  if ("report_webhook_url" in b) {
    patch.reportWebhookUrl = clearing(b.report_webhook_url)
      ? null
      : checkHttpUrl(b.report_webhook_url, "report_webhook_url");
  }
  if ("report_webhook_secret" in b) {
    const s = b.report_webhook_secret;
    if (clearing(s)) patch.reportWebhookSecret = null;
    else if (typeof s !== "string" || s.length < SECRET_MIN || s.length > SECRET_MAX) {
      throw new InvalidSettingError(
        `report_webhook_secret must be a string of ${SECRET_MIN} to ${SECRET_MAX} characters`,
      );
    } else patch.reportWebhookSecret = s;
  }
  if ("default_comments_policy" in b) {
    const p = b.default_comments_policy;
    if (clearing(p)) patch.defaultCommentsPolicy = null;
    else if (!COMMENTS_POLICIES.includes(p as CommentsPolicy)) {
      throw new InvalidSettingError(
        `default_comments_policy must be one of ${COMMENTS_POLICIES.join(", ")}`,
      );
    } else patch.defaultCommentsPolicy = p as CommentsPolicy;
  }
  return patch;
}

const PATCH_KEYS = {
  crisisResources: SETTING_KEYS.crisisResources,
  hideCounts: SETTING_KEYS.hideCounts,
  reportWebhookUrl: SETTING_KEYS.reportWebhookUrl,
  reportWebhookSecret: SETTING_KEYS.reportWebhookSecret,
  defaultCommentsPolicy: SETTING_KEYS.defaultCommentsPolicy,
} as const satisfies Record<keyof SafetySettingsPatch, string>;

/** What the audit log keeps of a value: never the webhook secret itself. */
function audited(name: keyof SafetySettingsPatch, value: unknown): unknown {
  return name === "reportWebhookSecret" ? { set: value !== null && value !== undefined } : value;
}

/**
 * Applies a checked patch in one transaction: each changed setting audited;
 * when the crisis resources change, every channel's actor document changes
 * with them (its profile fields carry them), so each channel's row version
 * moves and an `Update` of it is queued for its followers — all or nothing.
 */
export async function updateSafetySettings(
  db: Db,
  events: OutboundEvents,
  patch: SafetySettingsPatch,
  actor: ModerationActor,
): Promise<SafetySettings> {
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const before = await getSafetySettings(tx);
    const current: Record<keyof SafetySettingsPatch, unknown> = {
      crisisResources: before.crisisResourcesAreDefault ? null : before.crisisResources,
      hideCounts: before.hideCounts,
      reportWebhookUrl: before.reportWebhookUrl,
      reportWebhookSecret: before.reportWebhookSecret,
      defaultCommentsPolicy: before.defaultCommentsPolicy,
    };
    let resourcesChanged = false;
    for (const name of Object.keys(PATCH_KEYS) as (keyof SafetySettingsPatch)[]) {
      const value = patch[name];
      if (value === undefined || JSON.stringify(value) === JSON.stringify(current[name])) continue;
      const key = PATCH_KEYS[name];
      if (value === null) {
        await tx.execute(sql`DELETE FROM instance_settings WHERE key = ${key}`);
      } else {
        await tx
          .insert(instanceSettings)
          .values({ key, value })
          .onConflictDoUpdate({
            target: instanceSettings.key,
            set: { value, updatedAt: new Date() },
          });
      }
      await recordAudit(tx, {
        actor,
        action: "settings.update",
        target: key,
        details: { before: audited(name, current[name]), after: audited(name, value) },
        source: "manual",
      });
      if (name === "crisisResources") resourcesChanged = true;
    }
    if (resourcesChanged) await touchChannels(tx, events);
    return getSafetySettings(tx);
  });
}

/**
 * A new version of every channel row (the actor-document caches are keyed on
 * `updated_at`; +1 ms guarantees a change even within one clock tick) and an
 * `actor.updated` event for each.
 */
async function touchChannels(tx: Db, events: OutboundEvents): Promise<void> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`UPDATE local_actors
        SET updated_at = GREATEST(now(), updated_at + interval '1 millisecond')
        WHERE kind = 'group' RETURNING id`,
  );
  for (const row of rows) await events.record(tx, { type: "actor.updated", actorId: row.id });
}
