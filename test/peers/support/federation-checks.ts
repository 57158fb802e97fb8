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

/**
 * Waits until PeerTube's log shows an inbox POST from Haven (actor URL under
 * `havenOrigin`) offering an activity of one of `types` that mentions
 * `mentions` (an id), and fails — with the activity PeerTube received and its
 * warnings — if PeerTube kept none of what that POST offered. Without a log
 * (PEERTUBE_LOG unset) it returns null: the REST checks still run.
 */
export async function expectKeptByPeerTube(
  log: PeerTubeLog | null,
  mark: number,
  havenOrigin: string,
  types: readonly string[],
  mentions: string,
): Promise<InboxReceipt | null> {
  if (!log) return null;
  const what = `${types.join("/")} mentioning ${mentions}`;
  const receipt = await waitFor(
    `PeerTube's log to show an inbox request from Haven with ${what}`,
    async () => {
      const receipts = await log.receiptsSince(mark, havenOrigin);
      return receipts.find((r) => r.offered.some((a) => matches(a, types, mentions)));
    },
    {
      timeoutMs: 60_000,
      explain: async () => {
        const got = await log.receiptsSince(mark, havenOrigin);
        const lines = got.map(
          (r) => `  kept ${r.keptCount}: ${r.offered.map((a) => `${a.type} ${a.id}`).join(", ")}`,
        );
        return `inbox requests from Haven since the mark:\n${lines.join("\n") || "  (none)"}\nPeerTube warnings/errors:\n${(await log.problemsSince(mark)).join("\n")}`;
      },
    },
  );
  if (receipt.keptCount === 0) {
    const refused = receipt.offered.find((a) => matches(a, types, mentions));
    throw new Error(
      `PeerTube REFUSED (logged "We keep 0 activities") Haven's ${String(refused?.type)}:\n${clip(JSON.stringify(refused, null, 2), 4000)}\nPeerTube warnings/errors since:\n${(await log.problemsSince(mark)).join("\n")}`,
    );
  }
  return receipt;
}

function matches(activity: Record<string, unknown>, types: readonly string[], mentions: string) {
  return types.includes(String(activity.type)) && JSON.stringify(activity).includes(mentions);
}

/** What PeerTube logged since `mark` (warnings, errors), as a suffix for a failure message. */
export async function peerTubeProblems(log: PeerTubeLog | null, mark: number): Promise<string> {
  if (!log) return "(PEERTUBE_LOG not set: no PeerTube log to show)";
  const problems = await log.problemsSince(mark);
  return `PeerTube warnings/errors since:\n${problems.join("\n") || "  (none)"}`;
}
