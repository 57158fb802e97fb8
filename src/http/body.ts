import type { Context } from "hono";

export type Fields = Record<string, unknown>;

export class BadBodyError extends Error {}

/**
 * JSON, urlencoded or multipart (small forms only) bodies as one object —
 * Mastodon's API accepts all three, and tools built for it send any of them.
 */
export async function readFields(c: Context, maxBytes = 256 * 1024): Promise<Fields> {
  const length = Number(c.req.header("content-length") ?? "0");
  if (length > maxBytes) throw new BadBodyError(`request body larger than ${maxBytes} bytes`);
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  if (type.includes("application/json")) {
    const text = await c.req.text();
    if (text.length > maxBytes)
      throw new BadBodyError(`request body larger than ${maxBytes} bytes`);
    if (text.trim() === "") return {};
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new BadBodyError("request body is not valid JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new BadBodyError("request body must be a JSON object");
    }
    return value as Fields;
  }
  if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) {
    const form = await c.req.parseBody({ all: true });
    return form as Fields;
  }
  // Query parameters (Mastodon tools sometimes send them on POST).
  const text = await c.req.text();
  if (text.trim() !== "")
    throw new BadBodyError("send JSON (Content-Type: application/json) or a form");
  return { ...c.req.query() };
}

export function optionalString(fields: Fields, name: string): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new BadBodyError(`${name} must be a string`);
  return v;
}

export function requiredString(fields: Fields, name: string): string {
  const v = optionalString(fields, name);
  if (v === undefined || v.trim() === "") throw new BadBodyError(`${name} is required`);
  return v;
}

/** Booleans as JSON or as Mastodon's form strings ("true", "1", "on"). */
export function optionalBoolean(fields: Fields, name: string): boolean | undefined {
  const v = fields[name];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const s = v.toLowerCase();
    if (["true", "1", "on", "t", "yes"].includes(s)) return true;
    if (["false", "0", "off", "f", "no"].includes(s)) return false;
  }
  throw new BadBodyError(`${name} must be true or false`);
}
