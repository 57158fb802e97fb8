import {
  addEntry,
  type ObfuscatedEntry,
  type ParsedEntry,
  type ParseIssue,
  parseRuleFields,
} from "./blocklist-entry.ts";
import { stripBom } from "./csv.ts";

/**
 * Mastodon's `GET /api/v1/instance/domain_blocks` (`{domain, digest,
 * severity, comment}`), its admin API shape (`public_comment`,
 * `reject_media`, …) and GoToSocial's exports (`suspended_at`, no severity)
 * all read the same way. `line` is the 1-based position in the array.
 */
export function parseMastodonJsonList(text: string): {
  format: "mastodon_json";
  entries: ParsedEntry[];
  errors: ParseIssue[];
  obfuscated: ObfuscatedEntry[];
  fatal: string | null;
} {
  const out = {
    format: "mastodon_json" as const,
    entries: [] as ParsedEntry[],
    errors: [] as ParseIssue[],
    obfuscated: [] as ObfuscatedEntry[],
    fatal: null as string | null,
  };
  let data: unknown;
  try {
    data = JSON.parse(stripBom(text));
  } catch (e) {
    out.fatal = `the body is not valid JSON (${(e as Error).message})`;
    return out;
  }
  if (!Array.isArray(data)) {
    out.fatal = "the JSON body is not an array of domain blocks";
    return out;
  }
  data.forEach((item: unknown, index) => {
    const line = index + 1;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      out.errors.push({ line, message: "the entry is not an object" });
      return;
    }
    const o = item as Record<string, unknown>;
    if (typeof o.domain !== "string" || o.domain.trim() === "") {
      out.errors.push({ line, message: "the entry has no domain" });
      return;
    }
    const severity =
      typeof o.severity === "string"
        ? o.severity
        : o.suspended_at != null
          ? "suspend"
          : o.silenced_at != null
            ? "silence"
            : undefined;
    const rule = parseRuleFields({
      severity,
      rejectMedia: asText(o.reject_media),
      rejectReports: asText(o.reject_reports),
      obfuscate: asText(o.obfuscate),
      publicComment: asText(o.public_comment) ?? asText(o.comment),
      privateComment: asText(o.private_comment),
    });
    if (!rule.ok) {
      out.errors.push({ line, message: rule.message });
      return;
    }
    const digest =
      typeof o.digest === "string" && /^[0-9a-f]{64}$/i.test(o.digest)
        ? o.digest.toLowerCase()
        : null;
    addEntry(out, line, o.domain, rule.rule, digest);
  });
  return out;
}

function asText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  return undefined;
}
