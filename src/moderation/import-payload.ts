import type { NeedsConfirmation } from "./import-plan.ts";
import type { ClaimOp } from "./planner.ts";
import type { Severity } from "./types.ts";

/**
 * A stored import preview, compact: a 50,000-line list as objects is about
 * 10 MB of JSON, and reading it back at apply time (one row, one query)
 * held embedded PGlite for half a second. Entries are arrays, flags a bit
 * mask, and comments (often the same on every line) an index into a list.
 */
export interface StoredPayload {
  mode: "merge" | "replace";
  /** `[domain, severity, flags, public comment, private comment]`, comments as indexes or -1. */
  puts?: [string, Severity, number, number, number][];
  comments?: string[];
  deletes?: string[];
  /** The earlier, verbose form; still read for previews made before the change. */
  ops?: ClaimOp[];
  needsConfirmation?: NeedsConfirmation[];
}

const MEDIA = 1;
const REPORTS = 2;
const OBFUSCATE = 4;

export function encodePayload(
  mode: "merge" | "replace",
  ops: readonly ClaimOp[],
  needsConfirmation: NeedsConfirmation[],
): StoredPayload {
  const comments: string[] = [];
  const indexOf = new Map<string, number>();
  const ref = (comment: string | null) => {
    if (comment === null) return -1;
    let i = indexOf.get(comment);
    if (i === undefined) {
      i = comments.push(comment) - 1;
      indexOf.set(comment, i);
    }
    return i;
  };
  const puts: StoredPayload["puts"] = [];
  const deletes: string[] = [];
  for (const op of ops) {
    if (op.op === "delete") {
      deletes.push(op.domain);
      continue;
    }
    const c = op.claim;
    const flags =
      (c.rejectMedia ? MEDIA : 0) | (c.rejectReports ? REPORTS : 0) | (c.obfuscate ? OBFUSCATE : 0);
    puts.push([c.domain, c.severity, flags, ref(c.publicComment), ref(c.privateComment)]);
  }
  return { mode, puts, comments, deletes, needsConfirmation };
}

/** The admin's own claim operations (imports never touch a subscription's). */
export function decodeOps(payload: StoredPayload): ClaimOp[] {
  if (payload.ops) return payload.ops;
  const comments = payload.comments ?? [];
  const text = (i: number) => (i === -1 ? null : (comments[i] ?? null));
  const ops: ClaimOp[] = (payload.puts ?? []).map(([domain, severity, flags, pub, priv]) => ({
    op: "put",
    claim: {
      domain,
      subscriptionId: null,
      severity,
      rejectMedia: (flags & MEDIA) !== 0,
      rejectReports: (flags & REPORTS) !== 0,
      obfuscate: (flags & OBFUSCATE) !== 0,
      publicComment: text(pub),
      privateComment: text(priv),
    },
  }));
  for (const domain of payload.deletes ?? []) {
    ops.push({ op: "delete", domain, subscriptionId: null });
  }
  return ops;
}
