import type { MiddlewareHandler } from "hono";
import { errorResponse } from "../errors.ts";

/**
 * The parts of tus 1.0.0 (https://tus.io/protocols/resumable-upload) that are
 * about headers, kept apart from the routes so they can be tested alone.
 */
export const TUS_VERSION = "1.0.0";
export const TUS_EXTENSIONS = "creation,termination,expiration";
export const OFFSET_STREAM = "application/offset+octet-stream";

/** Metadata keys we keep; tus clients add others (`filetype`, `relativePath` …), ignored. */
export const METADATA_KEYS = [
  "channel",
  "title",
  "description",
  "tags",
  "language",
  "content_warning",
  "comments_policy",
  // Shown back in HEAD only: files are always named by the server.
  "filename",
] as const;

/** Far above what the metadata limits need; Node refuses headers past 16 KiB anyway. */
const MAX_METADATA_CHARS = 64 * 1024;

/**
 * Every response says which protocol version it speaks; every request but
 * OPTIONS must say `Tus-Resumable: 1.0.0` (else 412 with `Tus-Version`).
 */
export function tusResumable(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== "OPTIONS" && c.req.header("tus-resumable") !== TUS_VERSION) {
      c.header("Tus-Resumable", TUS_VERSION);
      c.header("Tus-Version", TUS_VERSION);
      return errorResponse(c, 412, `send the header Tus-Resumable: ${TUS_VERSION}`);
    }
    await next();
    c.header("Tus-Resumable", TUS_VERSION);
  };
}

/**
 * `Upload-Length` / `Upload-Offset`: decimal digits only (no sign, no
 * exponent, no spaces), within the safe integer range; otherwise null.
 */
export function parseByteCount(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

export type MetadataResult =
  | { ok: true; value: Record<string, string> }
  | { ok: false; message: string };

/**
 * `Upload-Metadata`: comma-separated `key base64(value)` pairs (the value may
 * be left out). Keys must be unique; values strict Base64 of UTF-8 text.
 * Unknown keys are dropped after being checked.
 */
export function parseUploadMetadata(header: string | undefined): MetadataResult {
  const value: Record<string, string> = {};
  if (header === undefined || header.trim() === "") return { ok: true, value };
  if (header.length > MAX_METADATA_CHARS) return bad("Upload-Metadata is too long");
  const seen = new Set<string>();
  const known = new Set<string>(METADATA_KEYS);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  for (const pair of header.split(",")) {
    const parts = pair.trim().split(" ");
    const key = parts[0] ?? "";
    if (key === "" || parts.length > 2 || !/^[\x21-\x7e]+$/.test(key)) {
      return bad("Upload-Metadata must be comma-separated `key base64value` pairs");
    }
    if (seen.has(key)) return bad(`Upload-Metadata repeats the key "${key.slice(0, 40)}"`);
    seen.add(key);
    const encoded = parts[1] ?? "";
    if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
      return bad(`Upload-Metadata: the value of "${key.slice(0, 40)}" is not Base64`);
    }
    let text: string;
    try {
      text = utf8.decode(Buffer.from(encoded, "base64"));
    } catch {
      return bad(`Upload-Metadata: the value of "${key.slice(0, 40)}" is not UTF-8 text`);
    }
    if (known.has(key)) value[key] = text;
  }
  return { ok: true, value };
}

export function encodeUploadMetadata(metadata: Readonly<Record<string, string>>): string {
  return Object.entries(metadata)
    .map(([k, v]) => (v === "" ? k : `${k} ${Buffer.from(v, "utf8").toString("base64")}`))
    .join(",");
}

/** `Upload-Expires` is an RFC 9110 HTTP-date. */
export const httpDate = (date: Date): string => date.toUTCString();

function bad(message: string): MetadataResult {
  return { ok: false, message };
}
