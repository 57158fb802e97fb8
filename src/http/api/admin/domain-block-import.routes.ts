import type { Context } from "hono";
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
import { changePreviewJson, importPreviewJson, purgedJson } from "./json.ts";
import { actorOf, adminAuth, moderationErrorResponse, readParams } from "./support.ts";

/** Blocklists can be long; Mastodon's own import takes files of this order. */
const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

type ImportBody = { text: string; mode?: string; sourceName?: string };

/**
 * The list to import: a raw `text/csv` or `text/plain` body, or a JSON array
 * (Mastodon's JSON list), is the list itself; a JSON object carries it as
 * `csv`; a form or multipart body as `file` (an upload) or `csv` (text).
 * `mode` and `source_name` come from the body or the query string.
 */
async function readImport(
  c: Context,
): Promise<{ ok: true; value: ImportBody } | { ok: false; response: Response }> {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  const q = c.req.query();
  if (Number(c.req.header("content-length") ?? "0") > MAX_IMPORT_BYTES) {
    return { ok: false, response: errorResponse(c, 413, "the list is larger than 5 MiB") };
  }
  if (type.startsWith("text/")) {
    const text = await c.req.text();
    if (text.length > MAX_IMPORT_BYTES) {
      return { ok: false, response: errorResponse(c, 413, "the list is larger than 5 MiB") };
    }
    return { ok: true, value: { text, mode: q.mode, sourceName: q.source_name } };
  }
  if (type.includes("application/json")) {
    // A JSON array is a Mastodon JSON list itself; an object carries `csv`.
    const raw = await c.req.text();
    if (raw.length > MAX_IMPORT_BYTES) {
      return { ok: false, response: errorResponse(c, 413, "the list is larger than 5 MiB") };
    }
    if (raw.trimStart().startsWith("[")) {
      return { ok: true, value: { text: raw, mode: q.mode, sourceName: q.source_name } };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { ok: false, response: errorResponse(c, 400, "request body is not valid JSON") };
    }
    const o = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<
      string,
      unknown
    >;
    if (typeof o.csv !== "string") {
      return { ok: false, response: errorResponse(c, 400, "send the list as a `csv` string") };
    }
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    return {
      ok: true,
      value: {
        text: o.csv,
        mode: str(o.mode) ?? q.mode,
        sourceName: str(o.source_name) ?? q.source_name,
      },
    };
  }
  const body = await readParams(c, MAX_IMPORT_BYTES);
  if (!body.ok) return body;
  const p = body.params;
  let text: string | undefined;
  let sourceName = typeof p.source_name === "string" ? p.source_name : undefined;
  if (p.file instanceof File) {
    text = await p.file.text();
    sourceName ??= p.file.name || undefined;
  } else if (typeof p.csv === "string") {
    text = p.csv;
  }
  if (text === undefined) {
    return {
      ok: false,
      response: errorResponse(
        c,
        400,
        "send the list as a `file` upload, a `csv` field, or a text/csv body",
      ),
    };
  }
  return {
    ok: true,
    value: { text, mode: typeof p.mode === "string" ? p.mode : undefined, sourceName },
  };
}

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
    if (!result.ok) return errorResponse(c, 422, result.error.message);
    return c.json(importPreviewJson(result.value));
  });

  app.post("/import/:token/apply", write, async (c) => {
    const actor = actorOf(c);
    const result = await applyImport(db, c.req.param("token"), actor);
    if (!result.ok) return moderationErrorResponse(c, result.error);
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
