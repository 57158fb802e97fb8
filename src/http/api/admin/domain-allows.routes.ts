import { Hono } from "hono";
import {
  allowDomain,
  getDomainAllow,
  listDomainAllows,
  normalizeDomain,
  toMastodonAdminDomainAllow,
  unallowDomain,
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
 * Mastodon's `Api::V1::Admin::DomainAllowsController`: allowing an allowed
 * domain returns the existing entry (200); destroy answers `{}`. Removing an
 * allow while allowlist mode is on cuts that domain's followers.
 */
export function domainAllowRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read:domain_allows");
  const write = adminAuth(deps, "admin:write:domain_allows");
  const url = `${deps.config.publicUrl.origin}/api/v1/admin/domain_allows`;

  app.get("/", read, async (c) => {
    const page = pageParams(c);
    const rows = await listDomainAllows(db, page);
    setLinkHeader(c, url, rows, page.limit, c.req.query("limit") !== undefined);
    return c.json(rows.map(toMastodonAdminDomainAllow));
  });

  app.post("/", write, async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const domain = typeof body.params.domain === "string" ? body.params.domain.trim() : "";
    if (domain === "") return errorResponse(c, 422, "Validation failed: Domain can't be blank");
    const normalized = normalizeDomain(domain);
    if (!normalized.ok) {
      return errorResponse(c, 422, `Validation failed: Domain is invalid (${normalized.message})`);
    }
    const actor = actorOf(c);
    const result = await allowDomain(db, { domain: normalized.domain }, actor);
    if (!result.ok) return moderationErrorResponse(c, result.error);
    if (result.value.created) await deps.moderationAdmin.afterChange({}, actor);
    return c.json(toMastodonAdminDomainAllow(result.value.domainAllow));
  });

  app.get("/:id", read, async (c) => {
    const id = parseId(c.req.param("id"));
    const row = id === null ? null : await getDomainAllow(db, id);
    return row ? c.json(toMastodonAdminDomainAllow(row)) : recordNotFound(c);
  });

  app.delete("/:id", write, async (c) => {
    const id = parseId(c.req.param("id"));
    if (id === null) return recordNotFound(c);
    const actor = actorOf(c);
    const result = await unallowDomain(db, { id }, actor);
    if (!result.ok) return moderationErrorResponse(c, result.error);
    await deps.moderationAdmin.afterChange({}, actor);
    return c.json({});
  });

  return app;
}
