import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ModerationActor, ModerationError } from "../../../moderation/index.ts";
import { type AuthEnv, requireAuth } from "../../auth.ts";
import { BadBodyError, type Fields, readFields } from "../../body.ts";
import { appErrorResponse, errorResponse } from "../../errors.ts";
import type { AdminDeps } from "./deps.ts";

/**
 * Mastodon's per-controller scopes: `admin:read:domain_blocks` is granted by
 * `admin:read` or by itself (see `hasScope`); admin tokens carry `admin:*`.
 */
export function adminAuth(deps: AdminDeps, scope: string) {
  return requireAuth(deps.database.db, deps.tokens, scope);
}

/** The signed-in admin, as the audit log records them. */
export function actorOf(c: Context<AuthEnv>): ModerationActor {
  return { kind: "account", accountId: c.get("principal").account.id };
}

/**
 * Parameters as Rails sees them: the query string merged with a JSON, form
 * or multipart body (Mastodon tools send any of these). Bad bodies → 400.
 */
export async function readParams(
  c: Context,
  maxBytes?: number,
): Promise<{ ok: true; params: Fields } | { ok: false; response: Response }> {
  try {
    const fields = await readFields(c, maxBytes);
    return { ok: true, params: { ...c.req.query(), ...fields } };
  } catch (e) {
    if (e instanceof BadBodyError) return { ok: false, response: errorResponse(c, 400, e.message) };
    throw e;
  }
}

/** Mastodon ids are positive integers sent as strings; anything else is not found. */
export function parseId(raw: string | undefined): number | null {
  if (raw === undefined || !/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}

export const recordNotFound = (c: Context) => errorResponse(c, 404, "Record not found");

export function moderationErrorResponse(c: Context, error: ModerationError): Response {
  return appErrorResponse(c, error);
}

export function json(c: Context, body: unknown, status: ContentfulStatusCode = 200): Response {
  return c.json(body as object, status);
}

export interface PageParams {
  limit?: number;
  maxId?: number;
  sinceId?: number;
  minId?: number;
}

/**
 * Mastodon's paging parameters: `limit` (default 100, at most 200) and
 * `max_id` / `since_id` / `min_id`.
 */
export function pageParams(c: Context, defaultLimit = 100): PageParams & { limit: number } {
  const q = c.req.query();
  const int = (v: string | undefined) => {
    if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
    return Math.abs(Number(v));
  };
  const limit = int(q.limit);
  const page: PageParams & { limit: number } = {
    limit: Math.max(1, Math.min(limit ?? defaultLimit, defaultLimit * 2)),
  };
  const maxId = int(q.max_id);
  if (maxId !== undefined) page.maxId = maxId;
  const sinceId = int(q.since_id);
  if (sinceId !== undefined) page.sinceId = sinceId;
  const minId = int(q.min_id);
  if (minId !== undefined) page.minId = minId;
  return page;
}

/**
 * Mastodon's `Link` header for a page of rows newest first: `next` (older,
 * `max_id`) only when the page is full, `prev` (newer, `min_id`) unless the
 * page is empty; only `limit` is carried over. Order and format matter:
 * FediBlockHole splits on ", " and follows the first link.
 */
export function setLinkHeader(
  c: Context,
  url: string,
  rows: readonly { id: number }[],
  limit: number,
  explicitLimit: boolean,
): void {
  const link = (params: Record<string, string | number>) => {
    const query = new URLSearchParams();
    if (explicitLimit) query.set("limit", String(limit));
    for (const [k, v] of Object.entries(params)) query.set(k, String(v));
    return `${url}?${query}`;
  };
  const links: string[] = [];
  const last = rows.at(-1);
  const first = rows[0];
  if (rows.length === limit && last) links.push(`<${link({ max_id: last.id })}>; rel="next"`);
  if (first) links.push(`<${link({ min_id: first.id })}>; rel="prev"`);
  if (links.length > 0) c.header("Link", links.join(", "));
}
