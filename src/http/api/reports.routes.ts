import { Hono } from "hono";
import type { Config } from "../../config.ts";
import {
  findRemoteReport,
  listRemoteReports,
  type ReportWithTarget,
  resolveRemoteReport,
} from "../../reports/report.service.ts";
import { type AuthEnv, requireAuth } from "../auth.ts";
import type { HttpDeps } from "../deps.ts";
import { errorResponse } from "../errors.ts";

/**
 * A small cousin of Mastodon's `REST::Admin::ReportSerializer`: reports came
 * from other servers (`forwarded` is about sending, which we never do),
 * `account` is who sent it, `status_ids` are our videos, `comment_ids`
 * comments on them.
 */
function reportJson(config: Config, { report, targetHandle }: ReportWithTarget) {
  const origin = config.publicUrl.origin;
  return {
    id: report.id,
    action_taken: report.resolvedAt !== null,
    action_taken_at: report.resolvedAt?.toISOString() ?? null,
    category: "other",
    comment: report.comment,
    forwarded: false,
    created_at: report.createdAt.toISOString(),
    updated_at: (report.resolvedAt ?? report.createdAt).toISOString(),
    account: { uri: report.reporterIri, domain: report.reporterDomain },
    target_account:
      targetHandle === null
        ? null
        : {
            id: report.targetActorId,
            username: targetHandle,
            acct: targetHandle,
            uri: `${origin}/users/${targetHandle}`,
          },
    status_ids: report.videoIds,
    comment_ids: report.commentIds,
    object_uris: report.objectIris,
  };
}

/** Reports from other servers, for moderators only. Mounted at /api/v1/admin/reports. */
export function reportRoutes(deps: HttpDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();

  // As Mastodon: unresolved reports unless `resolved=true`.
  app.get("/", requireAuth(db, deps.tokens, "admin:read"), async (c) => {
    const limit = Number.parseInt(c.req.query("limit") ?? "", 10);
    const rows = await listRemoteReports(db, {
      resolved: c.req.query("resolved") === "true",
      limit: Number.isFinite(limit) ? Math.min(Math.max(limit, 1), 200) : 100,
    });
    return c.json(rows.map((r) => reportJson(deps.config, r)));
  });

  app.get("/:id", requireAuth(db, deps.tokens, "admin:read"), async (c) => {
    const found = await findRemoteReport(db, c.req.param("id"));
    return found
      ? c.json(reportJson(deps.config, found))
      : errorResponse(c, 404, "Record not found");
  });

  app.post("/:id/resolve", requireAuth(db, deps.tokens, "admin:write"), async (c) => {
    const found = await resolveRemoteReport(db, c.req.param("id"), c.get("principal").account.id);
    return found
      ? c.json(reportJson(deps.config, found))
      : errorResponse(c, 404, "Record not found");
  });

  return app;
}
