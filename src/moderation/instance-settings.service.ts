import { inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { instanceSettings } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { bumpModerationVersion, withModerationLock, writeSetting } from "./state.ts";
import type { ModerationActor } from "./types.ts";

/**
 * Who may read the block list (and separately its public comments) at
 * `GET /api/v1/instance/domain_blocks` — Mastodon's `show_domain_blocks` and
 * `show_domain_blocks_rationale` values. Haven's default is `disabled`: a
 * support community's list says who it protects itself from, and publishing
 * it is the admin's choice.
 */
export type PublishLevel = "disabled" | "users" | "all";
export const PUBLISH_LEVELS: readonly PublishLevel[] = ["disabled", "users", "all"];

export const SETTING_PUBLISH_DOMAIN_BLOCKS = "moderation.publish_domain_blocks";
export const SETTING_PUBLISH_DOMAIN_BLOCKS_RATIONALE = "moderation.publish_domain_blocks_rationale";
export const SETTING_AUTHORIZED_FETCH = "moderation.authorized_fetch";

/** Instance settings about how much of our federation policy others see. */
export interface PublicationSettings {
  readonly publishDomainBlocks: PublishLevel;
  readonly publishDomainBlocksRationale: PublishLevel;
  /**
   * Mastodon's "secure mode": our actors, objects and collections are served
   * only to signed requests from servers we federate with.
   */
  readonly authorizedFetch: boolean;
}

export const DEFAULT_PUBLICATION_SETTINGS: PublicationSettings = {
  publishDomainBlocks: "disabled",
  publishDomainBlocksRationale: "disabled",
  authorizedFetch: false,
};

const KEYS = {
  publishDomainBlocks: SETTING_PUBLISH_DOMAIN_BLOCKS,
  publishDomainBlocksRationale: SETTING_PUBLISH_DOMAIN_BLOCKS_RATIONALE,
  authorizedFetch: SETTING_AUTHORIZED_FETCH,
} as const satisfies Record<keyof PublicationSettings, string>;

export function isPublishLevel(value: unknown): value is PublishLevel {
  return value === "disabled" || value === "users" || value === "all";
}

export async function getPublicationSettings(db: Db): Promise<PublicationSettings> {
  const rows = await db
    .select()
    .from(instanceSettings)
    .where(inArray(instanceSettings.key, Object.values(KEYS)));
  const byKey = new Map(rows.map((r) => [r.key, r.value]));
  const level = (key: string, fallback: PublishLevel) => {
    const v = byKey.get(key);
    return isPublishLevel(v) ? v : fallback;
  };
  return {
    publishDomainBlocks: level(KEYS.publishDomainBlocks, "disabled"),
    publishDomainBlocksRationale: level(KEYS.publishDomainBlocksRationale, "disabled"),
    authorizedFetch: byKey.get(KEYS.authorizedFetch) === true,
  };
}

/**
 * Changes any of the settings, audited. Bumps the policy version so every
 * process's cached copy (authorized fetch is read per request) reloads.
 */
export function updatePublicationSettings(
  db: Db,
  patch: Partial<PublicationSettings>,
  actor: ModerationActor,
): Promise<ModerationResult<PublicationSettings>> {
  for (const key of ["publishDomainBlocks", "publishDomainBlocksRationale"] as const) {
    const v = patch[key];
    if (v !== undefined && !isPublishLevel(v)) {
      return Promise.resolve(fail("invalid", `${key} must be one of ${PUBLISH_LEVELS.join(", ")}`));
    }
  }
  if (patch.authorizedFetch !== undefined && typeof patch.authorizedFetch !== "boolean") {
    return Promise.resolve(fail("invalid", "authorizedFetch must be true or false"));
  }
  return withModerationLock(db, async (tx) => {
    const before = await getPublicationSettings(tx);
    let changed = false;
    for (const name of Object.keys(KEYS) as (keyof PublicationSettings)[]) {
      const value = patch[name];
      if (value === undefined || value === before[name]) continue;
      changed = true;
      await writeSetting(tx, KEYS[name], value);
      await recordAudit(tx, {
        actor,
        action: "settings.update",
        target: KEYS[name],
        details: { before: before[name], after: value },
        source: "manual",
      });
    }
    if (changed) await bumpModerationVersion(tx);
    return success(await getPublicationSettings(tx));
  });
}
