/** A remote may ask us to wait, but not forever. */
const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/** `Retry-After` as milliseconds from now (seconds or an HTTP date), capped at a day. */
export function parseRetryAfterMs(value: string | null): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  const ms = /^\d{1,9}$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - Date.now();
  return Number.isNaN(ms) ? null : Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}
