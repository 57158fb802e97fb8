import type { AppError, AppErrorKind, Result } from "../lib/result.ts";
import type { DomainBlock } from "./types.ts";

/**
 * Expected moderation failures. `existing` is set on the Mastodon-style 422
 * for a domain already blocked equally or harder (see
 * `toMastodonExistingDomainBlockError`).
 */
export interface ModerationError extends AppError {
  readonly existing?: DomainBlock;
}

export type ModerationResult<T> = Result<T, ModerationError>;

export function fail(kind: AppErrorKind, message: string): { ok: false; error: ModerationError } {
  return { ok: false, error: { kind, message } };
}

export function success<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
