/** One place to find help: a link or a phone number, for a region. */
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
 * What the watch page's footer has always said, until an admin sets the
 * instance's own resources: a pointer to local help that is true everywhere.
 */
export const DEFAULT_CRISIS_RESOURCES: CrisisResources = {
  text: "If you or someone else is in immediate danger, please contact local emergency services or a crisis line.",
  entries: [],
};

const str = (v: unknown, max: number): string | undefined =>
  typeof v === "string" && v.trim() !== "" ? v.trim().slice(0, max) : undefined;

/**
 * Reads the stored setting defensively (another part of Haven writes it):
 * anything unusable falls back to the default, never to nothing.
 */
export function readCrisisResources(value: unknown): CrisisResources {
  if (typeof value !== "object" || value === null) return DEFAULT_CRISIS_RESOURCES;
  const v = value as { text?: unknown; entries?: unknown };
  const entries: CrisisResourceEntry[] = [];
  for (const e of Array.isArray(v.entries) ? v.entries.slice(0, 50) : []) {
    if (typeof e !== "object" || e === null) continue;
    const raw = e as Record<string, unknown>;
    const label = str(raw.label, 200);
    if (!label) continue;
    const url = str(raw.url, 2_000);
    const phone = str(raw.phone, 50);
    const region = str(raw.region, 100);
    entries.push({
      label,
      ...(url && /^https?:\/\//i.test(url) ? { url } : {}),
      ...(phone ? { phone } : {}),
      ...(region ? { region } : {}),
    });
  }
  const text = str(v.text, 2_000);
  if (!text && entries.length === 0) return DEFAULT_CRISIS_RESOURCES;
  return { text: text ?? DEFAULT_CRISIS_RESOURCES.text, entries };
}
