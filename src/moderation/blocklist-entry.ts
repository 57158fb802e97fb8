import { normalizeDomain } from "./domain.ts";
import { type BlockRule, type DomainRule, isSeverity, type Severity } from "./types.ts";

/** An entry to apply; `line` is the 1-based line (or JSON array position) it came from. */
export interface ParsedEntry extends DomainRule {
  readonly line: number;
}

export interface ParseIssue {
  readonly line: number;
  readonly message: string;
}

/** An entry published with `*` in place of letters; only its digest can identify it. */
export interface ObfuscatedEntry extends BlockRule {
  readonly line: number;
  readonly domain: string;
  readonly digest: string | null;
}

/** Shared by the CSV and JSON readers: an obfuscated name, a bad name, or an entry. */
export function addEntry(
  out: { entries: ParsedEntry[]; errors: ParseIssue[]; obfuscated: ObfuscatedEntry[] },
  line: number,
  raw: string,
  rule: BlockRule,
  digest: string | null,
): void {
  if (raw.includes("*") && !raw.startsWith("*.")) {
    out.obfuscated.push({ line, domain: raw, digest, ...rule });
    return;
  }
  const normalized = normalizeDomain(raw);
  if (!normalized.ok) {
    out.errors.push({ line, message: normalized.message });
    return;
  }
  out.entries.push({ line, domain: normalized.domain, ...rule });
}

export function parseRuleFields(fields: {
  severity: string | undefined;
  rejectMedia: string | undefined;
  rejectReports: string | undefined;
  obfuscate: string | undefined;
  publicComment: string | undefined;
  privateComment: string | undefined;
}): { ok: true; rule: BlockRule } | { ok: false; message: string } {
  const severityText = (fields.severity ?? "").trim().toLowerCase();
  const severity: Severity | null =
    severityText === "" ? "suspend" : isSeverity(severityText) ? severityText : null;
  if (severity === null) {
    return {
      ok: false,
      message: `unknown severity "${fields.severity?.trim()}" (expected suspend, silence or noop)`,
    };
  }
  const flags: Record<string, boolean> = {};
  for (const [name, value] of [
    ["reject_media", fields.rejectMedia],
    ["reject_reports", fields.rejectReports],
    ["obfuscate", fields.obfuscate],
  ] as const) {
    const parsed = parseListBoolean(value);
    if (parsed === null) {
      return { ok: false, message: `${name} must be true or false (got "${value?.trim()}")` };
    }
    flags[name] = parsed;
  }
  return {
    ok: true,
    rule: {
      severity,
      rejectMedia: flags.reject_media!,
      rejectReports: flags.reject_reports!,
      obfuscate: flags.obfuscate!,
      publicComment: emptyToNull(fields.publicComment),
      privateComment: emptyToNull(fields.privateComment),
    },
  };
}

/** FediBlockHole's `str2bool`: what shared lists actually contain. */
export function parseListBoolean(value: string | undefined): boolean | null {
  const v = (value ?? "").trim().toLowerCase();
  if (["true", "t", "1", "y", "yes"].includes(v)) return true;
  if (["", "false", "f", "0", "n", "no"].includes(v)) return false;
  return null;
}

function emptyToNull(value: string | undefined): string | null {
  const v = value?.trim() ?? "";
  return v === "" ? null : v;
}
