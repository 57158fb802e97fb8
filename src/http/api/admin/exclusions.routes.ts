import { Hono } from "hono";
import { addExclusion, listExclusions, removeExclusion } from "../../../moderation/index.ts";
import type { AuthEnv } from "../../auth.ts";
import { errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";
import { exclusionJson, purgedJson } from "./json.ts";
import {
  actorOf,
  adminAuth,
  moderationErrorResponse,
  parseId,
  readParams,
  recordNotFound,
} from "./support.ts";

/**
 * Haven: domains (and their subdomains) no subscription may block
 * (GoToSocial's domain permission excludes). Blocks made by hand stay.
 */
export function exclusionRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read");
  const write = adminAuth(deps, "admin:write");

  app.get("/", read, async (c) => c.json((await listExclusions(db)).map(exclusionJson)));

  app.post("/", write, async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const { domain, comment } = body.params;
    if (typeof domain !== "string" || domain.trim() === "") {
      return errorResponse(c, 422, "domain is required");
    }
    const actor = actorOf(c);
    const result = await addExclusion(
      db,
      { domain, comment: typeof comment === "string" ? comment : null },
      actor,
    );
    if (!result.ok) {
      return result.error.kind === "invalid"
        ? errorResponse(c, 422, result.error.message)
        : moderationErrorResponse(c, result.error);
    }
    await deps.moderationAdmin.afterChange({}, actor);
    return c.json(
      {
        ...exclusionJson(result.value.exclusion),
        unblocked: result.value.plan.effectiveChanges.map((e) => e.domain),
      },
      201,
    );
  });

  app.delete("/:id", write, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const actor = actorOf(c);
    const result = await removeExclusion(db, { id }, actor);
    if (!result.ok) return moderationErrorResponse(c, result.error);
    // Lists may now block the domain again.
    const newlySuspended = result.value.plan.effectiveChanges
      .filter((e) => e.after?.severity === "suspend" && e.before?.severity !== "suspend")
      .map((e) => e.domain);
    const purged = await deps.moderationAdmin.afterChange({ newlySuspended }, actor);
    return c.json({ purged: purgedJson(purged) });
  });

  return app;
}
