import type { Context } from "hono";
import { Hono } from "hono";
import type { Db } from "../../../db/client.ts";
import { InvalidSettingError } from "../../../instance/crisis-resources.ts";
import {
  getSafetySettings,
  parseSafetySettings,
  type SafetySettings,
  updateSafetySettings,
} from "../../../instance/instance-settings.ts";
import type { AuthEnv } from "../../auth.ts";
import { BadBodyError, readFields } from "../../body.ts";
import { errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";
import { actorOf, adminAuth } from "./support.ts";

/** The settings as admins read them: the webhook secret never leaves, only whether it is set. */
export function instanceSettingsJson(s: SafetySettings) {
  return {
    crisis_resources: s.crisisResources,
    crisis_resources_default: s.crisisResourcesAreDefault,
    hide_counts: s.hideCounts,
    report_webhook_url: s.reportWebhookUrl,
    report_webhook_secret_set: s.reportWebhookSecret !== null,
    default_comments_policy: s.defaultCommentsPolicy,
  };
}

async function show(c: Context, db: Db) {
  return c.json(instanceSettingsJson(await getSafetySettings(db)));
}

/**
 * Haven: `/api/v1/admin/instance_settings` — the community-safety settings
 * (crisis resources, hidden counts, the report webhook, the default comment
 * policy). PATCH changes only the fields sent; `null` resets one to its
 * default. Every field is checked before anything is stored.
 */
export function instanceSettingsRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();

  app.get("/", adminAuth(deps, "admin:read"), (c) => show(c, db));

  const update = async (c: Context<AuthEnv>) => {
    let patch: ReturnType<typeof parseSafetySettings>;
    try {
      patch = parseSafetySettings(await readFields(c));
    } catch (e) {
      if (e instanceof BadBodyError || e instanceof InvalidSettingError) {
        return errorResponse(c, 400, e.message);
      }
      throw e;
    }
    const settings = await updateSafetySettings(db, deps.events, patch, actorOf(c));
    return c.json(instanceSettingsJson(settings));
  };
  app.patch("/", adminAuth(deps, "admin:write"), update);
  app.put("/", adminAuth(deps, "admin:write"), update);
  return app;
}
