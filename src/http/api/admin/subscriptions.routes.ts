import type { Context } from "hono";
import { Hono } from "hono";
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  previewSubscriptionUrl,
  type SubscriptionInput,
  type SubscriptionPatch,
  syncSubscription,
  updateSubscription,
} from "../../../moderation/index.ts";
import type { AuthEnv } from "../../auth.ts";
import { BadBodyError, type Fields, optionalBoolean } from "../../body.ts";
import { errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";
import { purgedJson, subscriptionJson, syncReportJson } from "./json.ts";
import {
  actorOf,
  adminAuth,
  moderationErrorResponse,
  parseId,
  readParams,
  recordNotFound,
} from "./support.ts";

function optionalInt(fields: Fields, name: string): number | undefined {
  const v = fields[name];
  if (v === undefined || v === null || v === "") return undefined;
  const n =
    typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new BadBodyError(`${name} must be a whole number`);
  return n;
}

function optionalText(fields: Fields, name: string): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new BadBodyError(`${name} must be a string`);
  return v;
}

function parsePatch(fields: Fields): SubscriptionPatch {
  const patch: SubscriptionPatch = {};
  const url = optionalText(fields, "url");
  if (url !== undefined) patch.url = url.trim();
  const title = optionalText(fields, "title");
  if (title !== undefined) patch.title = title;
  const format = optionalText(fields, "format");
  if (format !== undefined) patch.format = format as SubscriptionPatch["format"]; // validated by the core
  const priority = optionalInt(fields, "priority");
  if (priority !== undefined) patch.priority = priority;
  const interval = optionalInt(fields, "sync_interval_seconds");
  if (interval !== undefined) patch.syncIntervalSeconds = interval;
  const review = optionalBoolean(fields, "review_mode");
  if (review !== undefined) patch.reviewMode = review;
  const enabled = optionalBoolean(fields, "enabled");
  if (enabled !== undefined) patch.enabled = enabled;
  return patch;
}

async function readPatch(
  c: Context,
): Promise<{ ok: true; patch: SubscriptionPatch } | { ok: false; response: Response }> {
  const body = await readParams(c);
  if (!body.ok) return body;
  try {
    return { ok: true, patch: parsePatch(body.params) };
  } catch (e) {
    if (e instanceof BadBodyError) return { ok: false, response: errorResponse(c, 422, e.message) };
    throw e;
  }
}

const flag = (c: Context, name: string) => ["true", "1"].includes(c.req.query(name) ?? "");

/**
 * Haven: shared blocklists fetched by URL and re-synced on their interval by
 * the workers (GoToSocial's domain permission subscriptions). A list that
 * cannot be fetched or parsed keeps the last good one in force.
 */
export function subscriptionRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const admin = deps.moderationAdmin;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read");
  const write = adminAuth(deps, "admin:write");
  const syncDeps = () => ({ fetchText: admin.fetchText, localDomain: admin.localDomain });

  app.get("/", read, async (c) => c.json((await listSubscriptions(db)).map(subscriptionJson)));

  app.post("/", write, async (c) => {
    const body = await readPatch(c);
    if (!body.ok) return body.response;
    if (!body.patch.url) return errorResponse(c, 422, "url is required");
    const result = await createSubscription(db, body.patch as SubscriptionInput, actorOf(c));
    if (!result.ok) {
      return result.error.kind === "invalid"
        ? errorResponse(c, 422, result.error.message)
        : moderationErrorResponse(c, result.error);
    }
    return c.json(subscriptionJson(result.value), 201);
  });

  /** What subscribing to `url` would block now; nothing is stored. */
  app.post("/preview", read, async (c) => {
    const body = await readPatch(c);
    if (!body.ok) return body.response;
    if (!body.patch.url) return errorResponse(c, 422, "url is required");
    const input = {
      url: body.patch.url,
      ...(body.patch.format ? { format: body.patch.format } : {}),
    };
    const result = await previewSubscriptionUrl(db, input, syncDeps());
    if (!result.ok) return moderationErrorResponse(c, result.error);
    return c.json(syncReportJson(result.value));
  });

  app.get("/:id", read, async (c) => {
    const id = parseId(c.req.param("id"));
    const row = id === null ? null : await getSubscription(db, id);
    return row ? c.json(subscriptionJson(row)) : recordNotFound(c);
  });

  const update = async (c: Context<AuthEnv>) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const body = await readPatch(c);
    if (!body.ok) return body.response;
    const actor = actorOf(c);
    const result = await updateSubscription(db, id, body.patch, actor);
    if (!result.ok) {
      return result.error.kind === "invalid"
        ? errorResponse(c, 422, result.error.message)
        : moderationErrorResponse(c, result.error);
    }
    const purged = await admin.afterChange(result.value, actor);
    return c.json({ ...subscriptionJson(result.value.subscription), purged: purgedJson(purged) });
  };
  app.put("/:id", write, update);
  app.patch("/:id", write, update);

  app.delete("/:id", write, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const actor = actorOf(c);
    const result = await deleteSubscription(db, id, actor);
    if (!result.ok) return moderationErrorResponse(c, result.error);
    await admin.afterChange({}, actor);
    return c.json({});
  });

  /** Fetch and apply now (`?dry_run=true`: only report; `?force=true`: even if unchanged). */
  app.post("/:id/sync", write, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const dryRun = flag(c, "dry_run");
    const result = await syncSubscription(db, id, syncDeps(), { dryRun, force: flag(c, "force") });
    if (!result.ok) return moderationErrorResponse(c, result.error);
    const purged =
      dryRun || result.value.status !== "synced"
        ? []
        : await admin.afterChange(result.value, { kind: "subscription", subscriptionId: id });
    return c.json({ ...syncReportJson(result.value), dry_run: dryRun, purged: purgedJson(purged) });
  });

  return app;
}
