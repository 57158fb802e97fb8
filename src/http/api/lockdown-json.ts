import type { LockdownView } from "../../moderation/lockdown.service.ts";

/** A lockdown: `channel` is the channel's name, null when instance-wide. */
export function lockdownJson(l: LockdownView) {
  return {
    id: l.id,
    channel: l.channel,
    until: l.until.toISOString(),
    created_at: l.createdAt.toISOString(),
  };
}

/** `until` from a request: absent → the default length; otherwise an ISO 8601 time. */
export function parseUntil(raw: unknown): Date | undefined | "invalid" {
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (typeof raw !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(raw)) return "invalid";
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? "invalid" : date;
}
