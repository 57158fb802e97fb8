/** One CSV record and the 1-based line it starts on. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
  /** Set when the record is malformed; `fields` is then unreliable. */
  readonly error?: string;
}

/**
 * RFC 4180 records, forgiving the way real exports need: a leading BOM,
 * CRLF / LF / CR line ends, quoted fields with `""` escapes and line breaks
 * inside, blank lines. A malformed record is returned with `error` (and the
 * line it starts on) instead of stopping the whole file, except an
 * unterminated quote, which swallows the rest of the input.
 */
export function parseCsvRecords(input: string): CsvRecord[] {
  const text = stripBom(input);
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let error: string | undefined;
    let field = "";
    let endOfRecord = false;
    while (!endOfRecord) {
      if (i >= n) {
        fields.push(field);
        break;
      }
      const ch = text[i]!;
      if (ch !== '"' && ch !== "," && ch !== "\r" && ch !== "\n") {
        // Plain text up to the next special character, in one slice (50,000-line lists).
        SPECIAL.lastIndex = i;
        const next = SPECIAL.exec(text)?.index ?? n;
        field += text.slice(i, next);
        i = next;
        continue;
      }
      if (ch === '"' && field.trim() === "") {
        // Quoted field (spaces before the quote are tolerated).
        i++;
        field = "";
        let closed = false;
        while (i < n) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === "\r" || c === "\n") {
            line++;
            if (c === "\r" && text[i + 1] === "\n") {
              field += "\r";
              i++;
            }
          }
          field += text[i]!;
          i++;
        }
        if (!closed) {
          records.push({ line: start, fields: [], error: "a quoted field is never closed" });
          return records;
        }
        // Only spaces may follow the closing quote before the separator.
        while (i < n && (text[i] === " " || text[i] === "\t")) i++;
        if (i < n && text[i] !== "," && text[i] !== "\r" && text[i] !== "\n") {
          error ??= "unexpected text after a closing quote";
          while (i < n && text[i] !== "," && text[i] !== "\r" && text[i] !== "\n") i++;
        }
        continue;
      }
      if (ch === ",") {
        fields.push(field);
        field = "";
        i++;
        continue;
      }
      if (ch === "\r" || ch === "\n") {
        fields.push(field);
        i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
        line++;
        endOfRecord = true;
        continue;
      }
      if (ch === '"') error ??= "a quote in the middle of an unquoted field";
      field += ch;
      i++;
    }
    records.push(error === undefined ? { line: start, fields } : { line: start, fields, error });
    if (i >= n) break;
  }
  return records.filter((r) => r.error !== undefined || !isBlank(r.fields));
}

const SPECIAL = /[",\r\n]/g;

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function isBlank(fields: readonly string[]): boolean {
  return fields.every((f) => f.trim() === "");
}

/** One CSV field, quoted when it must be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim()
    ? `"${value.replaceAll('"', '""')}"`
    : value;
}
