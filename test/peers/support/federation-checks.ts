import { clip, type InboxReceipt, type PeerTubeLog } from "./peertube-log.ts";
import { sleep, waitFor } from "./wait.ts";

/**
 * PeerTube 6.3 reuses keep-alive connections the server may have closed
 * while idle, and tries its deliveries once: real users act after pauses,
 * so every PeerTube → Haven action waits longer than that (8 s, with margin)
 * without traffic. This is a deliberate pause that reproduces real use, not
 * a wait for a condition.
 */
export const KEEP_ALIVE_IDLE_MS = 9_000;
export const idleLikeARealUser = () => sleep(KEEP_ALIVE_IDLE_MS);

/** Which activity from Haven a check is about. */
export interface ActivitySpec {
  /** Any of these activity types, e.g. ["Announce", "Create"]. */
  readonly types: readonly string[];
  /** The id of its object (embedded or by reference)… */
  readonly object?: string;
  /** …or, when that id is not known (an Accept of PeerTube's Follow), a string its JSON contains. */
  readonly mentions?: string;
  /** For an embedded object: its type must be one of these (a Create{Note} is not a Create{Video}). */
  readonly objectTypes?: readonly string[];
}

/**
 * Waits until PeerTube's log shows an inbox POST from Haven (actor URL under
 * `havenOrigin`) with an activity matching `spec` that PeerTube KEPT (passed
 * its validators). If only refused ones arrive ("We keep 0 activities"), fails
 * with those activities as PeerTube received them and its log's complaints.
 * Without a log (PEERTUBE_LOG unset) it returns null: the REST checks still run.
 */
export async function expectKeptByPeerTube(
  log: PeerTubeLog | null,
  mark: number,
  havenOrigin: string,
  spec: ActivitySpec,
  timeoutMs = 30_000,
): Promise<InboxReceipt | null> {
  if (!log) return null;
  const what = `${spec.types.join("/")} of ${spec.objectTypes?.join("/") ?? "object"} ${spec.object ?? `mentioning ${spec.mentions}`}`;
  const matching = async () =>
    (await log.receiptsSince(mark, havenOrigin)).filter((r) =>
      r.offered.some((a) => matches(a, spec)),
    );
  return waitFor(
    `PeerTube to keep (not refuse) Haven's ${what}`,
    async () => (await matching()).find((r) => r.keptCount > 0),
    {
      timeoutMs,
      explain: async () => {
        const refused = (await matching()).flatMap((r) =>
          r.offered.filter((a) => matches(a, spec)),
        );
        const all = (await log.receiptsSince(mark, havenOrigin)).map(
          (r) =>
            `  kept ${r.keptCount}: ${r.offered.map((a) => `${a.type}{${objectType(a)}} ${a.id}`).join(", ")}`,
        );
        const head = refused.length
          ? `PeerTube REFUSED it (logged "We keep 0 activities"), as received (@context left out):\n${refused
              .map((a) => clip(JSON.stringify({ ...a, "@context": undefined }, null, 2), 3000))
              .join("\n")}`
          : "PeerTube's log shows no such activity from Haven (not delivered?)";
        return `${head}\nevery inbox request from Haven since the mark:\n${all.join("\n") || "  (none)"}\n${await peerTubeProblems(log, mark, havenOrigin)}`;
      },
    },
  );
}

function objectId(a: Record<string, unknown>): string | undefined {
  const o = a.object as unknown;
  if (typeof o === "string") return o;
  if (o && typeof o === "object" && typeof (o as { id?: unknown }).id === "string")
    return (o as { id: string }).id;
  return undefined;
}

function objectType(a: Record<string, unknown>): string {
  const o = a.object as { type?: unknown } | string | undefined;
  return typeof o === "object" && o ? String(o.type) : "ref";
}

function matches(a: Record<string, unknown>, spec: ActivitySpec): boolean {
  if (!spec.types.includes(String(a.type))) return false;
  if (spec.object !== undefined && objectId(a) !== spec.object) return false;
  if (spec.mentions !== undefined && !JSON.stringify(a).includes(spec.mentions)) return false;
  const type = objectType(a);
  return !spec.objectTypes || type === "ref" || spec.objectTypes.includes(type);
}

/**
 * What PeerTube complained about since `mark`, for a failure message; lines
 * about other servers' URLs (other Havens using the same PeerTube) left out.
 */
export async function peerTubeProblems(
  log: PeerTubeLog | null,
  mark: number,
  havenOrigin: string,
): Promise<string> {
  if (!log) return "(PEERTUBE_LOG not set: no PeerTube log to show)";
  const problems = await log.problemsSince(mark, havenOrigin);
  return `PeerTube's complaints since the mark:\n${problems.join("\n") || "  (none)"}`;
}
