import { Hono } from "hono";
import type { Config } from "../../config.ts";
import { forwardReport } from "../../reports/forward.service.ts";
import {
  findRemoteReport,
  listRemoteReports,
  type ReportWithTarget,
} from "../../reports/report.service.ts";
import { isResolveAction, RESOLVE_ACTIONS, resolveReport } from "../../reports/resolve.service.ts";
import { reportTargetUrl } from "../../reports/webhook.ts";
import type { AuthEnv } from "../auth.ts";
import { appErrorResponse, errorResponse } from "../errors.ts";
import type { AdminDeps } from "./admin/deps.ts";
import { actorOf, adminAuth, readParams } from "./admin/support.ts";

/**
 * A small cousin of Mastodon's `REST::Admin::ReportSerializer`. `account` is
 * who sent a remote report (null for a local one: visitors stay anonymous
 * even to moderators, a signed-in reporter shows as `reporter_account_id`),
 * `status_ids` are our videos, `comment_ids` comments on them. `source` and
 * the `someone_may_be_at_risk` / `harassment` categories are Haven's.
 */
function reportJson(config: Config, { report, targetHandle }: ReportWithTarget) {
  const origin = config.publicUrl.origin;
  return {
    id: report.id,
    category: report.category,
    source: report.source,
    action_taken: report.resolvedAt !== null,
    action_taken_at: report.resolvedAt?.toISOString() ?? null,
    action: report.actionTaken,
    comment: report.comment,
    forwarded: report.forwardedAt !== null,
    created_at: report.createdAt.toISOString(),
    updated_at: (report.resolvedAt ?? report.forwardedAt ?? report.createdAt).toISOString(),
    account:
      report.reporterIri === null
        ? null
        : { uri: report.reporterIri, domain: report.reporterDomain },
    reporter_account_id: report.reporterAccountId,
    target_account:
      targetHandle === null
        ? null
        : {
            id: report.targetActorId,
            username: targetHandle,
            acct: targetHandle,
            uri: `${origin}/users/${targetHandle}`,
          },
    target_url: reportTargetUrl(origin, report),
    status_ids: report.videoIds,
    comment_ids: report.commentIds,
    object_uris: report.objectIris,
  };
}

/** Reports, for moderators only. Mounted at /api/v1/admin/reports. */
export function reportRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read");
  const write = adminAuth(deps, "admin:write");

  // As Mastodon: unresolved reports unless `resolved=true`; at-risk ones first.
  app.get("/", read, async (c) => {
    const limit = Number.parseInt(c.req.query("limit") ?? "", 10);
    const rows = await listRemoteReports(db, {
      resolved: c.req.query("resolved") === "true",
      limit: Number.isFinite(limit) ? Math.min(Math.max(limit, 1), 200) : 100,
    });
    return c.json(rows.map((r) => reportJson(deps.config, r)));
  });

  app.get("/:id", read, async (c) => {
    const found = await findRemoteReport(db, c.req.param("id"));
    return found
      ? c.json(reportJson(deps.config, found))
      : errorResponse(c, 404, "Record not found");
  });

  // `{"action": …}`; none given is `none` (what resolving meant before actions existed).
  app.post("/:id/resolve", write, async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const action = body.params.action ?? "none";
    if (!isResolveAction(action)) {
      return errorResponse(c, 422, `action must be one of: ${RESOLVE_ACTIONS.join(", ")}`);
    }
    const actor = actorOf(c) as { kind: "account"; accountId: string };
    const result = await resolveReport(db, c.req.param("id"), action, actor);
    if (!result.ok) return appErrorResponse(c, result.error);
    for (const change of result.value.changes)
      await deps.moderationAdmin.afterChange(change, actor);
    return c.json(reportJson(deps.config, result.value.report));
  });

  app.post("/:id/forward", write, async (c) => {
    const result = await forwardReport(db, deps.events, c.req.param("id"), actorOf(c));
    if (!result.ok) return appErrorResponse(c, result.error);
    return c.json(reportJson(deps.config, result.value));
  });

  return app;
}
