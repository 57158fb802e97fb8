/**
 * Serialises a value for a `json` column. Fedify's messages and KV values are
 * plain JSON; anything else (a function, a bigint) is a bug worth a loud error.
 */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`Cannot store ${typeof value} as JSON`);
  return text;
}

/** Milliseconds of a delay or TTL; negative durations count as zero. */
export function durationToMs(duration: Temporal.Duration): number {
  return Math.max(0, duration.total("millisecond"));
}
