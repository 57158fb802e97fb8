import {
  addEntry,
  type ObfuscatedEntry,
  type ParsedEntry,
  type ParseIssue,
  parseRuleFields,
} from "./blocklist-entry.ts";
import { parseMastodonJsonList } from "./blocklist-json.ts";
import { mergeRules } from "./combine.ts";
import { type CsvRecord, parseCsvRecords, stripBom } from "./csv.ts";

export type { ObfuscatedEntry, ParsedEntry, ParseIssue } from "./blocklist-entry.ts";

export type ListFormat = "mastodon_csv" | "mastodon_json" | "plain";

export interface ParsedBlocklist {
  readonly format: ListFormat;
  /** One per normalised domain, duplicates already merged. */
  readonly entries: ParsedEntry[];
  /** Malformed rows, never applied. */
  readonly errors: ParseIssue[];
  /** Rows naming a domain already named above, merged into it. */
  readonly duplicates: ParseIssue[];
  readonly obfuscated: ObfuscatedEntry[];
  /** Set when the whole body is unusable (bad JSON, no domain column…). */
  readonly fatal: string | null;
}

/** Mastodon's export columns, in its order; also the order of header-less CSV rows. */
export const MASTODON_CSV_COLUMNS = [
  "domain",
  "severity",
  "reject_media",
  "reject_reports",
  "public_comment",
  "obfuscate",
] as const;

/**
 * Parses a blocklist in Mastodon's CSV export format (header
 * `#domain,#severity,…`), Mastodon's `GET /api/v1/instance/domain_blocks`
 * JSON, or a plain list (one domain per line, `#` comments).
 *
 * Defaults follow Mastodon's importer: a missing severity is `suspend`,
 * missing flags are false. Duplicates (after normalisation) are merged, the
 * harshest winning — for this audience a looser duplicate must not quietly
 * undo a stricter one; each merge is reported with its line.
 */
export function parseBlocklist(
  text: string,
  options: { format?: ListFormat | "auto"; contentType?: string } = {},
): ParsedBlocklist {
  const format =
    options.format && options.format !== "auto"
      ? options.format
      : sniffFormat(text, options.contentType);
  const rows = format === "mastodon_json" ? parseMastodonJsonList(text) : parseCsvLike(text);
  return { format: rows.format ?? format, ...dedupe(rows) };
}

interface RawRows {
  format?: ListFormat;
  entries: ParsedEntry[];
  errors: ParseIssue[];
  obfuscated: ObfuscatedEntry[];
  fatal: string | null;
}

function sniffFormat(text: string, contentType: string | undefined): ListFormat {
  if (contentType?.toLowerCase().includes("json")) return "mastodon_json";
  const body = stripBom(text).trimStart();
  if (body.startsWith("[")) return "mastodon_json";
  // The header is the first line; parsing the whole file here would parse it twice.
  const firstLine = body.slice(0, body.search(/[\r\n]|$/));
  return findHeader(parseCsvRecords(firstLine)) ? "mastodon_csv" : "plain";
}

function headerName(field: string): string {
  return field.trim().replace(/^#\s*/, "").toLowerCase();
}

function findHeader(records: readonly CsvRecord[]): CsvRecord | null {
  const first = records[0];
  if (!first || first.error) return null;
  return first.fields.some((f) => headerName(f) === "domain") ? first : null;
}

function parseCsvLike(text: string): RawRows {
  const records = parseCsvRecords(text);
  const header = findHeader(records);
  const out: RawRows = { entries: [], errors: [], obfuscated: [], fatal: null };
  if (header) {
    out.format = "mastodon_csv";
    const columns = header.fields.map(headerName);
    for (const record of records.slice(1)) {
      if (record.fields[0]?.trim().startsWith("#")) continue; // a comment line
      addRow(out, record, columns);
    }
    return out;
  }
  out.format = "plain";
  for (const record of records) {
    if (record.error) {
      out.errors.push({ line: record.line, message: record.error });
      continue;
    }
    const first = record.fields[0]!.trim();
    if (first.startsWith("#") || first.startsWith("//")) continue;
    if (record.fields.length === 1 || /\s#/.test(first)) {
      // Plain line; text after " #" is a comment, as in hosts-style lists.
      const domain = first.replace(/\s+#.*$/s, "");
      addRow(out, { line: record.line, fields: [domain] }, ["domain"]);
    } else {
      // A header-less CSV row: Mastodon reads it with its export's columns.
      addRow(out, record, [...MASTODON_CSV_COLUMNS]);
    }
  }
  return out;
}

function addRow(out: RawRows, record: CsvRecord, columns: readonly string[]): void {
  if (record.error) {
    out.errors.push({ line: record.line, message: record.error });
    return;
  }
  const get = (name: string): string | undefined => {
    const i = columns.indexOf(name);
    return i === -1 ? undefined : record.fields[i];
  };
  const raw = get("domain")?.trim() ?? "";
  if (raw === "") {
    out.errors.push({ line: record.line, message: "the domain is empty" });
    return;
  }
  const rule = parseRuleFields({
    severity: get("severity"),
    rejectMedia: get("reject_media"),
    rejectReports: get("reject_reports"),
    obfuscate: get("obfuscate"),
    publicComment: get("public_comment") ?? get("comment"),
    privateComment: get("private_comment"),
  });
  if (!rule.ok) {
    out.errors.push({ line: record.line, message: rule.message });
    return;
  }
  addEntry(out, record.line, raw, rule.rule, null);
}

function dedupe(rows: RawRows): Omit<ParsedBlocklist, "format"> {
  const byDomain = new Map<string, ParsedEntry>();
  const duplicates: ParseIssue[] = [];
  for (const entry of rows.entries) {
    const earlier = byDomain.get(entry.domain);
    if (!earlier) {
      byDomain.set(entry.domain, entry);
      continue;
    }
    duplicates.push({
      line: entry.line,
      message: `${entry.domain} is already listed on line ${earlier.line}; the harshest of the two applies`,
    });
    byDomain.set(entry.domain, {
      ...mergeRules([earlier, entry]),
      domain: entry.domain,
      line: earlier.line,
    });
  }
  return {
    entries: [...byDomain.values()],
    errors: rows.errors.sort((a, b) => a.line - b.line),
    duplicates,
    obfuscated: rows.obfuscated,
    fatal: rows.fatal,
  };
}
