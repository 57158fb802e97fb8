import { readFile } from "node:fs/promises";
import type { Database } from "../db/client.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import { InvalidSettingError } from "../instance/crisis-resources.ts";
import {
  getSafetySettings,
  parseSafetySettings,
  type SafetySettings,
  SETTING_KEYS,
  updateSafetySettings,
} from "../instance/instance-settings.ts";
import { flagString, type ParsedArgs, UsageError } from "./args.ts";
import type { CliIo } from "./commands.ts";
import { actorFor } from "./domain-block.ts";

/** The API's view (the webhook secret never printed, only whether it is set). */
function view(s: SafetySettings) {
  return {
    crisis_resources: s.crisisResources,
    hide_counts: s.hideCounts,
    report_webhook_url: s.reportWebhookUrl,
    report_webhook_secret_set: s.reportWebhookSecret !== null,
    default_comments_policy: s.defaultCommentsPolicy,
  };
}

/** VALUE as JSON when it is JSON (`true`, `null`, `{…}`), else as the text itself. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * `haven settings get [KEY]` and `haven settings set KEY VALUE|--file FILE`:
 * the same checks, transaction, audit entry and channel Updates as
 * `PATCH /api/v1/admin/instance_settings`.
 */
export async function settingsCommand(
  database: Database,
  events: OutboundEvents,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const [, sub, key, rawValue] = args.positional;
  const db = database.db;
  if (sub === "get") {
    const shown = view(await getSafetySettings(db)) as Record<string, unknown>;
    if (key !== undefined && !(key in shown)) throw new UsageError(`unknown setting "${key}"`);
    io.out(JSON.stringify(key === undefined ? shown : shown[key], null, 2));
    return 0;
  }
  if (sub !== "set") throw new UsageError(`unknown command: ${args.positional.join(" ")}`);
  if (!key || !(Object.values(SETTING_KEYS) as string[]).includes(key)) {
    throw new UsageError(`settings set needs one of: ${Object.values(SETTING_KEYS).join(", ")}`);
  }
  const file = flagString(args, "file");
  if ((file === undefined) === (rawValue === undefined)) {
    throw new UsageError("settings set KEY needs a VALUE or --file FILE");
  }
  const value = parseValue(file !== undefined ? await readFile(file, "utf8") : rawValue!);
  const actor = await actorFor(database, args);
  if (!actor.ok) {
    io.out(`error: ${actor.error}`);
    return 1;
  }
  try {
    const patch = parseSafetySettings({ [key]: value });
    const after = await updateSafetySettings(db, events, patch, actor.value);
    io.out(
      JSON.stringify(
        (view(after) as Record<string, unknown>)[
          key === "report_webhook_secret" ? "report_webhook_secret_set" : key
        ],
        null,
        2,
      ),
    );
    return 0;
  } catch (e) {
    if (!(e instanceof InvalidSettingError)) throw e;
    io.out(`error: ${e.message}`);
    return 1;
  }
}
