import { Hono } from "hono";
import {
  blockDomain,
  getDomainBlock,
  listDomainBlocks,
  parseDomainBlockParams,
  toMastodonAdminDomainBlock,
  toMastodonExistingDomainBlockError,
  unblockDomain,
  updateDomainBlock,
} from "../../../moderation/index.ts";
import type { AuthEnv } from "../../auth.ts";
import { errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";
import {
  actorOf,
  adminAuth,
  moderationErrorResponse,
  pageParams,
  parseId,
  readParams,
  recordNotFound,
  setLinkHeader,
} from "./support.ts";

/**
 * Mastodon's `Api::V1::Admin::DomainBlocksController`, same shapes and
 * statuses (create and update answer 200, destroy `{}`), so tools written for
 * Mastodon (FediBlockHole) work unchanged. Every change goes through the
 * moderation core; what it newly suspends is purged before answering.
 */
export function domainBlockRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read:domain_blocks");
  const write = adminAuth(deps, "admin:write:domain_blocks");
  const url = `${deps.config.publicUrl.origin}/api/v1/admin/domain_blocks`;

  app.get("/", read, async (c) => {
    const page = pageParams(c);
    const rows = await listDomainBlocks(db, page);
    setLinkHeader(c, url, rows, page.limit, c.req.query("limit") !== undefined);
    return c.json(rows.map(toMastodonAdminDomainBlock));
  });

  app.post("/", write, async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const input = parseDomainBlockParams(body.params, "create");
    if (!input.ok) return errorResponse(c, 422, input.error.message);
    const actor = actorOf(c);
    const result = await blockDomain(db, input.value, actor);
    if (!result.ok) {
      if (result.error.existing) {
        return c.json(toMastodonExistingDomainBlockError(result.error.existing), 422);
      }
      return moderationErrorResponse(c, result.error);
    }
    await deps.moderationAdmin.afterChange(result.value, actor);
    if (!result.value.domainBlock) return recordNotFound(c);
    return c.json(toMastodonAdminDomainBlock(result.value.domainBlock));
  });

  app.get("/:id", read, async (c) => {
    const id = parseId(c.req.param("id"));
    const row = id === null ? null : await getDomainBlock(db, id);
    return row ? c.json(toMastodonAdminDomainBlock(row)) : recordNotFound(c);
  });

  app.put("/:id", write, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const body = await readParams(c);
    if (!body.ok) return body.response;
    // Like Mastodon, `domain` (FediBlockHole sends it) is not changeable and is ignored.
    const patch = parseDomainBlockParams(body.params, "update");
    if (!patch.ok) return errorResponse(c, 422, patch.error.message);
    const actor = actorOf(c);
    const result = await updateDomainBlock(db, id, patch.value, actor);
    if (!result.ok) return moderationErrorResponse(c, result.error);
    await deps.moderationAdmin.afterChange(result.value, actor);
    if (!result.value.domainBlock) return recordNotFound(c);
    return c.json(toMastodonAdminDomainBlock(result.value.domainBlock));
  });

  app.delete("/:id", write, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const exclude = c.req.query("exclude") === "true";
    const result = await unblockDomain(db, { id }, actorOf(c), { exclude });
    if (!result.ok) return moderationErrorResponse(c, result.error);
    await deps.moderationAdmin.afterChange({}, actorOf(c));
    // Mastodon answers `{}`. A subscribed list naming the domain keeps it
    // blocked (unless `?exclude=true`): Haven says so in an extra field.
    const stillListedBy = result.value.domainBlock ? result.value.stillListedBy.map(String) : [];
    return c.json(stillListedBy.length > 0 ? { still_listed_by: stillListedBy } : {});
  });

  return app;
}
