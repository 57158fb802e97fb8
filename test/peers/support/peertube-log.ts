import { open, stat } from "node:fs/promises";

/**
 * Reads PeerTube's log (level debug) from a mark on. PeerTube's inbox answers
 * 2xx first and validates afterwards, so the log is where a refusal shows:
 * every inbox POST logs "Filtering N activities…" (what arrived), "We keep N
 * activities." (what passed its validators, N=0: refused) and "Receiving
 * inbox requests for N activities by ACTOR.". Both the console log (colour
 * codes, multi-line JSON) and the JSON-lines file under logs/ are read.
 */
export interface LogEntry {
  readonly level: string;
  readonly message: string;
  /** The JSON metadata PeerTube logged with the message, if any. */
  readonly meta: Record<string, unknown> | null;
  readonly raw: string;
}

export interface InboxReceipt {
  readonly by: string;
  /** The activities as PeerTube received them. */
  readonly offered: Record<string, unknown>[];
  readonly keptCount: number;
  readonly entries: LogEntry[];
}

export class PeerTubeLog {
  /** `host` is PeerTube's own (its URLs in an entry do not make it foreign). */
  constructor(
    readonly path: string,
    readonly host: string,
  ) {}

  /** A byte offset: what is logged after this call. */
  async mark(): Promise<number> {
    return (await stat(this.path)).size;
  }

  async entriesSince(mark: number): Promise<LogEntry[]> {
    const file = await open(this.path, "r");
    try {
      const { size } = await file.stat();
      const buffer = Buffer.alloc(Math.max(0, size - mark));
      await file.read(buffer, 0, buffer.length, mark);
      return parseLog(buffer.toString("utf8"));
    } finally {
      await file.close();
    }
  }

  /** Inbox requests logged since `mark`, by an actor whose URL starts with `byPrefix`. */
  async receiptsSince(mark: number, byPrefix: string): Promise<InboxReceipt[]> {
    const entries = await this.entriesSince(mark);
    const receipts: InboxReceipt[] = [];
    // The three lines of one POST are logged synchronously, one after another.
    for (let i = 0; i < entries.length; i++) {
      const filtering = entries[i]!;
      if (!/^Filtering \d+ activities/.test(filtering.message)) continue;
      const keep = entries
        .slice(i + 1, i + 4)
        .find((e) => /^We keep \d+ activities/.test(e.message));
      const receiving = entries
        .slice(i + 1, i + 5)
        .find((e) => /^Receiving inbox requests for \d+ activities by /.test(e.message));
      if (!keep || !receiving) continue;
      const by = /by (\S+?)\.?$/.exec(receiving.message)?.[1] ?? "";
      if (!by.startsWith(byPrefix)) continue;
      receipts.push({
        by,
        offered: (filtering.meta?.activities as Record<string, unknown>[] | undefined) ?? [],
        keptCount: Number(/^We keep (\d+)/.exec(keep.message)?.[1] ?? "0"),
        entries: [filtering, keep, receiving],
      });
    }
    return receipts;
  }

  /**
   * Warnings, errors and refusals since `mark` (SQL lines left out), for
   * failure messages. Entries naming only other servers (another Haven on
   * the same PeerTube) are left out: `origin` is this test's Haven.
   */
  async problemsSince(mark: number, origin: string, limit = 15): Promise<string[]> {
    const entries = await this.entriesSince(mark);
    const own = new URL(origin).host;
    return (
      entries
        // PeerTube logs some refusals below warn ("Remote actor JSON is not
        // valid." at debug, "Cannot search remote video channel" at info).
        .filter((e) => e.level === "warn" || e.level === "error" || PROBLEM.test(e.message))
        .filter((e) => {
          const hosts = [...e.raw.matchAll(/https?:\/\/([^/\s"'\\]+)/g)].map((m) => m[1]);
          return hosts.length === 0 || hosts.includes(own) || !hosts.some((h) => h !== this.host);
        })
        .slice(-limit)
        .map(
          (e) =>
            `${e.level}: ${e.message}${e.meta ? ` ${clip(JSON.stringify(e.meta, withoutStacks), 1500)}` : ""}`,
        )
    );
  }
}

const PROBLEM = /not valid|invalid|cannot|refus|error|fail/i;
// Colour codes (ESC [ … m) of the console log.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const CONSOLE_START = /^\[[^\]]+\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /;

export function parseLog(text: string): LogEntry[] {
  const lines = text.replace(ANSI, "").split("\n");
  const entries: LogEntry[] = [];
  let current: string[] | null = null;
  const flush = () => {
    if (current) {
      const entry = parseConsoleEntry(current.join("\n"));
      if (entry) entries.push(entry);
    }
    current = null;
  };
  for (const line of lines) {
    if (line.startsWith('{"level"')) {
      flush();
      const entry = parseJsonEntry(line);
      if (entry) entries.push(entry);
    } else if (CONSOLE_START.test(line)) {
      flush();
      current = [line];
    } else if (current) {
      current.push(line);
    }
  }
  flush();
  return entries.filter((e) => !e.message.startsWith("Executed SQL"));
}

function parseConsoleEntry(raw: string): LogEntry | null {
  const m = /^\[[^\]]+\] \S+ \S+ (\w+): ([\s\S]*)$/.exec(raw);
  if (!m) return null;
  const [, level, rest] = m as unknown as [string, string, string];
  // The metadata is pretty-printed JSON after the message: " {\n  …\n}".
  const brace = rest.indexOf(" {\n");
  if (brace >= 0) {
    try {
      const meta = JSON.parse(rest.slice(brace + 1)) as Record<string, unknown>;
      return { level, message: rest.slice(0, brace), meta, raw };
    } catch {
      // A message that merely contains " {": keep it whole.
    }
  }
  return { level, message: rest, meta: null, raw };
}

function parseJsonEntry(line: string): LogEntry | null {
  try {
    const {
      level,
      message,
      label: _l,
      timestamp: _t,
      ...meta
    } = JSON.parse(line) as Record<string, unknown>;
    return {
      level: String(level),
      message: String(message),
      meta: Object.keys(meta).length ? meta : null,
      raw: line,
    };
  } catch {
    return null;
  }
}

/** Stack traces point into PeerTube's code; the error's message and fields say what happened. */
function withoutStacks(key: string, value: unknown): unknown {
  return key === "stack" ? undefined : value;
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more chars)` : text;
}
