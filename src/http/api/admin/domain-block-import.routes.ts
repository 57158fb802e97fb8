import { Hono } from "hono";
import {
  applyImport,
  exportCsv,
  parseDomainBlockParams,
  previewBlockDomain,
  previewImport,
  toMastodonExistingDomainBlockError,
} from "../../../moderation/index.ts";
import type { AuthEnv } from "../../auth.ts";
import { errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";
import { readConfirm, readImport } from "./import-body.ts";
import { changePreviewJson, importPreviewJson, purgedJson } from "./json.ts";
import { actorOf, adminAuth, moderationErrorResponse, readParams } from "./support.ts";

/**
 * Haven's import/export of domain blocks (Mastodon does these in its web
 * admin, not its API): preview with line-numbered errors and the follows each
 * change would cut, then apply by token; export in Mastodon's CSV format.
 */
export function domainBlockImportRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read:domain_blocks");
  const write = adminAuth(deps, "admin:write:domain_blocks");

  app.get("/export", read, async (c) => {
    const csv = await exportCsv(db);
    c.header("Content-Type", "text/csv; charset=utf-8");
    c.header("Content-Disposition", 'attachment; filename="domain_blocks.csv"');
    return c.body(csv);
  });

  app.post("/import", write, async (c) => {
    const input = await readImport(c);
    if (!input.ok) return input.response;
    const { mode, text, sourceName } = input.value;
    if (mode !== undefined && mode !== "merge" && mode !== "replace") {
      return errorResponse(c, 422, "mode must be merge or replace");
    }
    const result = await previewImport(db, text, {
      ...(mode ? { mode } : {}),
      ...(sourceName ? { sourceName } : {}),
      accountId: c.get("principal").account.id,
    });
    if (!result.ok) {
      return errorResponse(
        c,
        result.error.kind === "unsupported_media_type" ? 415 : 422,
        result.error.message,
      );
    }
    return c.json(importPreviewJson(result.value));
  });

  app.post("/import/:token/apply", write, async (c) => {
    const actor = actorOf(c);
    const confirm = await readConfirm(c);
    if (!confirm.ok) return confirm.response;
    const result = await applyImport(db, c.req.param("token"), actor, { confirm: confirm.value });
    if (!result.ok) {
      const needed = result.error.needsConfirmation;
      if (needed) {
        return c.json({ error: result.error.message, needs_confirmation: needed }, 409);
      }
      return moderationErrorResponse(c, result.error);
    }
    const purged = await deps.moderationAdmin.afterChange(result.value, actor);
    return c.json({ changes: changePreviewJson(result.value.changes), purged: purgedJson(purged) });
  });

  /** What `POST /api/v1/admin/domain_blocks` with the same body would do; changes nothing. */
  app.post("/preview", read, async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const input = parseDomainBlockParams(body.params, "create");
    if (!input.ok) return errorResponse(c, 422, input.error.message);
    const result = await previewBlockDomain(db, input.value);
    if (!result.ok) {
      if (result.error.existing) {
        return c.json(toMastodonExistingDomainBlockError(result.error.existing), 422);
      }
      return moderationErrorResponse(c, result.error);
    }
    return c.json(changePreviewJson(result.value));
  });

  return app;
}
