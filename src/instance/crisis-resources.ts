/**
 * Crisis resources: a short text and a few places to turn to (a hotline's
 * number, a service's page), shown on every page, in each channel's profile
 * fields and in a report's confirmation. Validated strictly: this text is
 * read by people in distress, and a broken or hostile link there does harm.
 */

export interface CrisisResourceEntry {
  label: string;
  url?: string;
  phone?: string;
  region?: string;
}

export interface CrisisResources {
  text: string;
  entries: CrisisResourceEntry[];
}

/**
 * What is shown until an admin sets the instance's own: the wording Haven's
 * pages carried before there were settings. No numbers: a visitor's country
 * is unknown, and a wrong emergency number is worse than none.
 */
export const DEFAULT_CRISIS_RESOURCES: CrisisResources = {
  text: "If you are in crisis, please contact local emergency services or a crisis line.",
  entries: [],
};

// Limits sized for a short block on a page and a Mastodon profile field
// (Mastodon keeps 255 characters of a field's name).
export const MAX_ENTRIES = 20;
const MAX_TEXT = 1000;
const MAX_LABEL = 100;
const MAX_REGION = 50;
const MAX_URL = 2000;
const MAX_PHONE = 30;
/** Digits, an optional leading `+`, spaces between groups: "+44 116 123", "988". */
const PHONE = /^\+?[0-9][0-9 ]*[0-9]$|^[0-9]$/;
const ENTRY_KEYS = new Set(["label", "url", "phone", "region"]);

export class InvalidSettingError extends Error {}

/** An http(s) URL, or a precise complaint naming `field`. */
export function checkHttpUrl(value: unknown, field: string): string {
  if (typeof value !== "string") throw new InvalidSettingError(`${field} must be a string`);
  if (value.length > MAX_URL) {
    throw new InvalidSettingError(`${field} must be at most ${MAX_URL} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidSettingError(`${field} must be an absolute http or https URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidSettingError(`${field} must be an http or https URL`);
  }
  return url.href;
}

function text(value: unknown, field: string, max: number, required: boolean): string | undefined {
  if (value === undefined || value === null || value === "") {
    if (required) throw new InvalidSettingError(`${field} is required`);
    return undefined;
  }
  if (typeof value !== "string") throw new InvalidSettingError(`${field} must be a string`);
  const trimmed = value.trim();
  if (required && trimmed === "") throw new InvalidSettingError(`${field} is required`);
  if (trimmed.length > max) {
    throw new InvalidSettingError(`${field} must be at most ${max} characters`);
  }
  return trimmed === "" ? undefined : trimmed;
}

function checkEntry(raw: unknown, index: number): CrisisResourceEntry {
  const at = `crisis_resources.entries[${index}]`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InvalidSettingError(`${at} must be an object {label, url?, phone?, region?}`);
  }
  for (const key of Object.keys(raw)) {
    if (!ENTRY_KEYS.has(key)) throw new InvalidSettingError(`${at}: unknown field "${key}"`);
  }
  const o = raw as Record<string, unknown>;
  const entry: CrisisResourceEntry = { label: text(o.label, `${at}.label`, MAX_LABEL, true)! };
  if (o.url !== undefined && o.url !== null && o.url !== "") {
    entry.url = checkHttpUrl(o.url, `${at}.url`);
  }
  const phone = text(o.phone, `${at}.phone`, MAX_PHONE, false);
  if (phone !== undefined) {
    if (!PHONE.test(phone)) {
      throw new InvalidSettingError(`${at}.phone may contain only digits, spaces and a leading +`);
    }
    entry.phone = phone;
  }
  const region = text(o.region, `${at}.region`, MAX_REGION, false);
  if (region !== undefined) entry.region = region;
  if (!entry.url && !entry.phone) {
    throw new InvalidSettingError(`${at} needs a url or a phone`);
  }
  return entry;
}

/** A submitted `crisis_resources`, checked and normalised (trimmed, URLs canonical). */
export function checkCrisisResources(raw: unknown): CrisisResources {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new InvalidSettingError("crisis_resources must be an object {text, entries}");
  }
  for (const key of Object.keys(raw)) {
    if (key !== "text" && key !== "entries") {
      throw new InvalidSettingError(`crisis_resources: unknown field "${key}"`);
    }
  }
  const o = raw as Record<string, unknown>;
  const resourcesText = text(o.text, "crisis_resources.text", MAX_TEXT, true)!;
  const list = o.entries ?? [];
  if (!Array.isArray(list))
    throw new InvalidSettingError("crisis_resources.entries must be an array");
  if (list.length > MAX_ENTRIES) {
    throw new InvalidSettingError(`crisis_resources.entries: at most ${MAX_ENTRIES} entries`);
  }
  return { text: resourcesText, entries: list.map(checkEntry) };
}

/** A stored value read back; anything unreadable falls back to the default. */
export function readCrisisResources(stored: unknown): CrisisResources {
  if (stored === undefined) return DEFAULT_CRISIS_RESOURCES;
  try {
    return checkCrisisResources(stored);
  } catch {
    return DEFAULT_CRISIS_RESOURCES;
  }
}

/** "Samaritans (UK)" */
export function entryTitle(entry: CrisisResourceEntry): string {
  return entry.region ? `${entry.label} (${entry.region})` : entry.label;
}

/**
 * Mastodon lets its own accounts have 4 profile fields (`DEFAULT_FIELDS_SIZE`)
 * and its users are used to that many; it keeps more from remote accounts,
 * but other servers and apps may not.
 */
export const PROFILE_FIELD_ROOM = 4;

/**
 * The profile fields that carry the resources on a channel, after the
 * channel's own `ownFields`: as many entries as fit in the room left (at
 * least one field, even on a channel that used its four), and when not all
 * fit, the last slot links to the page that lists them all (`helpUrl`).
 * Until an admin sets resources, that one link. Phone numbers stay text:
 * Mastodon links only http(s) in a field.
 */
export function resourceProfileFields(
  resources: CrisisResources,
  ownFields: number,
  helpUrl: string,
): { name: string; value: string }[] {
  const room = Math.max(1, PROFILE_FIELD_ROOM - ownFields);
  const help = { name: "Need help now?", value: helpUrl };
  const all = resources.entries.map((e) => ({
    name: entryTitle(e).slice(0, 255),
    value: [e.phone, e.url].filter(Boolean).join(" · "),
  }));
  if (all.length === 0) return [help];
  if (all.length <= room) return all;
  return [...all.slice(0, room - 1), help];
}
