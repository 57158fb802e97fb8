import { Hono } from "hono";
import { blockAccount, listAccountBlocks, unblockAccount } from "../../../moderation/index.ts";
import type { AuthEnv } from "../../auth.ts";
import { errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";
import { accountBlockJson, purgedJson } from "./json.ts";
import {
  actorOf,
  adminAuth,
  moderationErrorResponse,
  pageParams,
  parseId,
  readParams,
  setLinkHeader,
} from "./support.ts";

/**
 * Haven: one remote actor refused everywhere (inbox, delivery, fetch),
 * whatever its domain's standing; its follows are removed at once.
 */
export function accountBlockRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read");
  const write = adminAuth(deps, "admin:write");
  const url = `${deps.config.publicUrl.origin}/api/v1/admin/account_blocks`;

  app.get("/", read, async (c) => {
    const page = pageParams(c);
    const rows = await listAccountBlocks(db, page);
    setLinkHeader(c, url, rows, page.limit, c.req.query("limit") !== undefined);
    return c.json(rows.map(accountBlockJson));
  });

  app.post("/", write, async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const { actor_id: actorIri, private_comment: comment } = body.params;
    if (typeof actorIri !== "string" || actorIri.trim() === "") {
      return errorResponse(c, 422, "actor_id (the actor's IRI, https://…) is required");
    }
    const actor = actorOf(c);
    const result = await blockAccount(
      db,
      { actorIri, privateComment: typeof comment === "string" ? comment : null },
      actor,
    );
    if (!result.ok) {
      return result.error.kind === "invalid"
        ? errorResponse(c, 422, result.error.message)
        : moderationErrorResponse(c, result.error);
    }
    const { accountBlock, created } = result.value;
    const purged = await deps.moderationAdmin.afterChange(
      created ? { blockedAccount: accountBlock.actorIri } : {},
      actor,
    );
    return c.json(
      { ...accountBlockJson(accountBlock), purged: purgedJson(purged) },
      created ? 201 : 200,
    );
  });

  app.delete("/:id", write, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return errorResponse(c, 404, "Record not found");
    const actor = actorOf(c);
    const result = await unblockAccount(db, { id }, actor);
    if (!result.ok) return moderationErrorResponse(c, result.error);
    await deps.moderationAdmin.afterChange({}, actor);
    return c.json({});
  });

  return app;
}
