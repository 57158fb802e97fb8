import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type AppError, STATUS_BY_KIND } from "../lib/result.ts";

/** Every API error is `{"error": "…"}` with a status that says what went wrong. */
export function errorResponse(c: Context, status: number, message: string): Response {
  return c.json({ error: message }, status as ContentfulStatusCode);
}

export function appErrorResponse(c: Context, error: AppError): Response {
  return errorResponse(c, STATUS_BY_KIND[error.kind], error.message);
}
