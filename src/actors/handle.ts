/** One handle namespace for people, channels and the instance actor. */
export const HANDLE_PATTERN = /^[a-z0-9_]{1,30}$/;

/** Handles that would be confusing or collide with routes or well-known names. */
export const RESERVED_HANDLES = new Set([
  "instance",
  "admin",
  "administrator",
  "root",
  "support",
  "moderator",
  "haven",
  "api",
  "inbox",
  "outbox",
  "users",
  "channels",
  "videos",
  "media",
  "nodeinfo",
  "well_known",
  "static",
  "healthz",
]);

export const INSTANCE_ACTOR_HANDLE = "instance";

export function validateHandle(
  raw: string,
): { ok: true; handle: string } | { ok: false; message: string } {
  const handle = raw.trim().toLowerCase();
  if (!HANDLE_PATTERN.test(handle)) {
    return {
      ok: false,
      message: "name must be 1–30 characters of lower-case letters, digits and underscores",
    };
  }
  if (RESERVED_HANDLES.has(handle)) {
    return { ok: false, message: `the name "${handle}" is reserved` };
  }
  return { ok: true, handle };
}
