import type { Context } from "hono";
import { checkListText, decodeListBytes } from "../../../moderation/list-text.ts";
import { errorResponse } from "../../errors.ts";
import { readParams } from "./support.ts";

/** Blocklists can be long; Mastodon's own import takes files of this order. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

export type ImportBody = { text: string; mode?: string; sourceName?: string };
type Read<T> = { ok: true; value: T } | { ok: false; response: Response };

const tooLarge = (c: Context) => errorResponse(c, 413, "the list is larger than 5 MiB");

/** The body's bytes as strict UTF-8 text: 415 for anything else (a binary file). */
async function textOf(c: Context, bytes: ArrayBuffer): Promise<Read<string>> {
  if (bytes.byteLength > MAX_IMPORT_BYTES) return { ok: false, response: tooLarge(c) };
  const text = decodeListBytes(new Uint8Array(bytes));
  if (!text.ok) return { ok: false, response: errorResponse(c, 415, text.error.message) };
  return { ok: true, value: text.value };
}

function checked(c: Context, body: ImportBody): Read<ImportBody> {
  const text = checkListText(body.text);
  if (!text.ok) return { ok: false, response: errorResponse(c, 415, text.error.message) };
  return { ok: true, value: body };
}

/**
 * The list to import: a raw `text/*` body, or a JSON array (Mastodon's JSON
 * list), is the list itself; a JSON object carries it as `csv`; a form or
 * multipart body as `file` (an upload) or `csv` (text). `mode` and
 * `source_name` come from the body or the query string. Any other content
 * type, and bytes that are not UTF-8 text, are refused with 415: read as
 * lines, a binary file yields "domains" (a PNG's chunk names pass as TLDs).
 * An uploaded file is judged by its bytes, not its type: browsers label CSV
 * files `application/vnd.ms-excel` or `application/octet-stream`.
 */
export async function readImport(c: Context): Promise<Read<ImportBody>> {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  const media = type.split(";")[0]!.trim();
  const q = c.req.query();
  if (Number(c.req.header("content-length") ?? "0") > MAX_IMPORT_BYTES) {
    return { ok: false, response: tooLarge(c) };
  }
  if (media.startsWith("text/")) {
    const text = await textOf(c, await c.req.arrayBuffer());
    if (!text.ok) return text;
    return { ok: true, value: { text: text.value, mode: q.mode, sourceName: q.source_name } };
  }
  if (media === "application/json") {
    const raw = await textOf(c, await c.req.arrayBuffer());
    if (!raw.ok) return raw;
    // A JSON array is a Mastodon JSON list itself; an object carries `csv`.
    if (raw.value.trimStart().startsWith("[")) {
      return { ok: true, value: { text: raw.value, mode: q.mode, sourceName: q.source_name } };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.value);
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
    return checked(c, {
      text: o.csv,
      mode: str(o.mode) ?? q.mode,
      sourceName: str(o.source_name) ?? q.source_name,
    });
  }
  if (
    media !== "" &&
    media !== "application/x-www-form-urlencoded" &&
    media !== "multipart/form-data"
  ) {
    return {
      ok: false,
      response: errorResponse(
        c,
        415,
        `a blocklist is text: send it as text/csv, text/plain, application/json, or a multipart \`file\` upload (not ${media})`,
      ),
    };
  }
  const body = await readParams(c, MAX_IMPORT_BYTES);
  if (!body.ok) return body;
  const p = body.params;
  let sourceName = typeof p.source_name === "string" ? p.source_name : undefined;
  const mode = typeof p.mode === "string" ? p.mode : undefined;
  if (p.file instanceof File) {
    const text = await textOf(c, await p.file.arrayBuffer());
    if (!text.ok) return text;
    sourceName ??= p.file.name || undefined;
    return { ok: true, value: { text: text.value, mode, sourceName } };
  }
  if (typeof p.csv === "string") return checked(c, { text: p.csv, mode, sourceName });
  return {
    ok: false,
    response: errorResponse(
      c,
      400,
      "send the list as a `file` upload, a `csv` field, or a text/csv body",
    ),
  };
}

/**
 * `confirm` of an apply: the domains of the preview's `needs_confirmation`,
 * as a JSON array, repeated form fields (`confirm[]`), or one
 * comma-separated string.
 */
export async function readConfirm(c: Context): Promise<Read<string[]>> {
  const body = await readParams(c);
  if (!body.ok) return body;
  const raw = body.params.confirm ?? body.params["confirm[]"];
  if (raw === undefined || raw === null) return { ok: true, value: [] };
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((v) => typeof v === "string")) {
    return {
      ok: false,
      response: errorResponse(c, 422, 'confirm must be a list of domains, e.g. ["co.uk"]'),
    };
  }
  return { ok: true, value: list.flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== "") };
}
