import { Hono } from "hono";
import { approveDraft, listDrafts, previewDraft, rejectDraft } from "../../../moderation/index.ts";
import type { AuthEnv } from "../../auth.ts";
import { errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";
import { changePreviewJson, draftJson, purgedJson } from "./json.ts";
import { actorOf, adminAuth, moderationErrorResponse, parseId, recordNotFound } from "./support.ts";

/**
 * Haven: entries of subscriptions in review mode wait here. Approving makes
 * the entry that list's claim; a rejected draft is kept so the same entry is
 * not proposed again.
 */
export function draftRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read");
  const write = adminAuth(deps, "admin:write");

  app.get("/", read, async (c) => {
    const status = c.req.query("status") ?? "pending";
    if (status !== "pending" && status !== "rejected") {
      return errorResponse(c, 400, "status must be pending or rejected");
    }
    const rawSubscription = c.req.query("subscription_id");
    const subscriptionId = rawSubscription === undefined ? undefined : parseId(rawSubscription);
    if (subscriptionId === null) return c.json([]);
    const rows = await listDrafts(db, {
      status,
      ...(subscriptionId === undefined ? {} : { subscriptionId }),
    });
    return c.json(rows.map(draftJson));
  });

  app.get("/:id/preview", read, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const result = await previewDraft(db, id);
    if (!result.ok) return moderationErrorResponse(c, result.error);
    return c.json(changePreviewJson(result.value));
  });

  app.post("/:id/approve", write, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const actor = actorOf(c);
    const result = await approveDraft(db, id, actor);
    if (!result.ok) return moderationErrorResponse(c, result.error);
    const purged = await deps.moderationAdmin.afterChange(result.value, actor);
    return c.json({ newly_suspended: result.value.newlySuspended, purged: purgedJson(purged) });
  });

  app.post("/:id/reject", write, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const result = await rejectDraft(db, id, actorOf(c));
    if (!result.ok) return moderationErrorResponse(c, result.error);
    return c.json(draftJson(result.value));
  });

  return app;
}
