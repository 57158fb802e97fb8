/**
 * Expected failures are values, bugs are exceptions. One HTTP error handler
 * maps `AppError.kind` to a status; `message` is safe to show to clients.
 */
export type AppErrorKind =
  | "invalid"
  | "not_found"
  | "conflict"
  | "forbidden"
  | "unauthorized"
  | "blocked"
  | "too_large"
  | "unsupported_media_type"
  | "unprocessable"
  | "unavailable";

export interface AppError {
  readonly kind: AppErrorKind;
  readonly message: string;
}

export type Result<T, E extends AppError = AppError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = (kind: AppErrorKind, message: string): Result<never> => ({
  ok: false,
  error: { kind, message },
});

export const STATUS_BY_KIND: Record<AppErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  blocked: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  unavailable: 503,
};
