import { Hono } from "hono";
import { type AuditAction, listAuditLog } from "../../../moderation/index.ts";
import type { AuthEnv } from "../../auth.ts";
import type { AdminDeps } from "./deps.ts";
import { auditEntryJson } from "./json.ts";
import { adminAuth, pageParams } from "./support.ts";

/**
 * Haven: who changed federation policy, newest first. Filters: `action`
 * (e.g. `domain_block.create`), `target` (a domain, actor IRI, list URL or
 * setting); paging with `max_id` and `limit` (default 50, at most 200).
 */
export function auditLogRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const url = `${deps.config.publicUrl.origin}/api/v1/admin/audit_log`;
  app.get("/", adminAuth(deps, "admin:read"), async (c) => {
    const page = pageParams(c, 50);
    const action = c.req.query("action");
    const target = c.req.query("target");
    const rows = await listAuditLog(db, {
      limit: page.limit,
      ...(page.maxId === undefined ? {} : { maxId: page.maxId }),
      ...(action ? { action: action as AuditAction } : {}),
      ...(target ? { target } : {}),
    });
    const last = rows.at(-1);
    if (rows.length === page.limit && last) {
      const next = new URLSearchParams({ ...c.req.query(), max_id: String(last.id) });
      c.header("Link", `<${url}?${next}>; rel="next"`);
    }
    return c.json(rows.map(auditEntryJson));
  });
  return app;
}
