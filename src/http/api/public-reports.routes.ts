import { Hono } from "hono";
import { BadBodyError, readFields } from "../body.ts";
import type { HttpDeps } from "../deps.ts";
import { errorResponse } from "../errors.ts";
import { submitReport } from "../report-submit.ts";

/**
 * `POST /api/v1/reports`: anyone may report a published video or a visible
 * comment; a bearer token, if sent, names the reporter. Mastodon's shape
 * where it has one (`category`, `comment`), Haven's targets (`video_id` or
 * `comment_id`). The answer carries the crisis resources, so a reporter
 * worried about someone is shown where help is at once.
 */
export function publicReportRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.post("/", async (c) => {
    let fields: Record<string, unknown>;
    try {
      fields = await readFields(c, 16 * 1024);
    } catch (e) {
      if (e instanceof BadBodyError) return errorResponse(c, 400, e.message);
      throw e;
    }
    const result = await submitReport(c, deps, {
      videoId: fields.video_id,
      commentId: fields.comment_id,
      category: fields.category,
      comment: fields.comment,
    });
    if (!result.ok) {
      if (result.retryAfterSeconds !== undefined) {
        c.header("Retry-After", String(result.retryAfterSeconds));
      }
      return errorResponse(c, result.status, result.message);
    }
    const { report, crisisResources } = result;
    return c.json(
      {
        id: report.id,
        category: report.category,
        created_at: report.createdAt.toISOString(),
        crisis_resources: crisisResources,
      },
      201,
    );
  });
  return app;
}
