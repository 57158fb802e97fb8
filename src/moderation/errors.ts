import type { AppError, AppErrorKind, Result } from "../lib/result.ts";
import type { NeedsConfirmation } from "./import-plan.ts";
import type { DomainBlock } from "./types.ts";

/**
 * Expected moderation failures. `existing` is set on the Mastodon-style 422
 * for a domain already blocked equally or harder (see
 * `toMastodonExistingDomainBlockError`); `needsConfirmation` on an import
 * applied without confirming its public-suffix entries.
 */
export interface ModerationError extends AppError {
  readonly existing?: DomainBlock;
  /** Set on the 409 of an import applied without confirming these entries. */
  readonly needsConfirmation?: readonly NeedsConfirmation[];
}

export type ModerationResult<T> = Result<T, ModerationError>;

export function fail(kind: AppErrorKind, message: string): { ok: false; error: ModerationError } {
  return { ok: false, error: { kind, message } };
}

export function success<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
