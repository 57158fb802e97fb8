/**
 * Expected failures of the media layer, as values. Each carries the HTTP status
 * the upload endpoint should answer with and a message that is safe to show the
 * uploader (it never contains a server path or ffmpeg's raw output); `detail`
 * is for logs only.
 */
export type MediaErrorKind =
  | "too_large" // 413
  | "unsupported_type" // 415
  | "empty" // 400
  | "truncated" // 400 while receiving; 422 when a stored file turns out cut short
  | "malformed_request" // 400: bad multipart, unexpected part, oversized field
  | "undecodable" // 422
  | "invalid_captions" // 422
  | "processing_failed"; // 500: ffmpeg crashed or timed out on a file it had accepted

export type MediaErrorStatus = 400 | 413 | 415 | 422 | 500;

export interface MediaError {
  readonly kind: MediaErrorKind;
  readonly status: MediaErrorStatus;
  /** Human, client-safe. */
  readonly message: string;
  /** Internal cause for logs (ffmpeg stderr excerpt, errno …). Never send to clients. */
  readonly detail?: string;
}

export type MediaResult<T> = { ok: true; value: T } | { ok: false; error: MediaError };

export function ok<T>(value: T): MediaResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(
  kind: MediaErrorKind,
  status: MediaErrorStatus,
  message: string,
  detail?: string,
): MediaResult<T> {
  return { ok: false, error: mediaError(kind, status, message, detail) };
}

export function mediaError(
  kind: MediaErrorKind,
  status: MediaErrorStatus,
  message: string,
  detail?: string,
): MediaError {
  return detail === undefined ? { kind, status, message } : { kind, status, message, detail };
}
