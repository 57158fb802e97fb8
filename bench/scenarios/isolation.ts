import { type Bench, log } from "../support/bench.ts";
import type { LoadResult } from "../support/load.ts";
import { type Row, ratioRow } from "../support/report.ts";
import { fmt, summarize } from "../support/stats.ts";
import { checkCoalesced, havenFanout, warmFanout } from "./fanout.ts";
import { audience, HOSTS, trigger } from "./fanout-support.ts";
import {
  checkAccepted,
  drainInbox,
  type InboxCapacity,
  inboxLoad,
  inboxRig,
  presignInbox,
  sendInbox,
} from "./inbox.ts";

const rate = (count: number, ms: number) => (count / ms) * 1000;

/**
 * S8: S4's inbox load (at half of Haven's max inbox rate) alone, S1 alone,
 * then both at once. The inbox p99 during the fan-out is compared with its
 * solo p99, and the fan-out rate with S1 alone.
 */
export async function s8(b: Bench, known: InboxCapacity | null): Promise<Row[]> {
  const a = await audience(b);
  const via = await trigger(b);
  const rig = await inboxRig(b);
  await warmFanout(b, a, via);
  const d = b.options.durationMs;
  let halfRate = known?.halfRate;
  if (halfRate === undefined) {
    const max = await inboxLoad(b, rig, "haven", { count: (1_500 * d) / 1000, durationMs: d });
    checkAccepted("Haven (max rate)", max);
    halfRate = max.rate / 2;
    await drainInbox(b);
    log(`S8: Haven's max inbox rate ${fmt(max.rate)}/s`);
  }
  await a.sink.call("configure", { delayMs: 0, deadHosts: [] });
  const p99 = { alone: [] as number[], during: [] as number[] };
  const fan = { alone: [] as number[], during: [] as number[] };
  for (let r = 1; r <= b.options.rounds; r++) {
    const solo = await inboxLoad(b, rig, "haven", {
      count: (halfRate * d * 1.05) / 1000,
      durationMs: d,
      rate: halfRate,
    });
    checkAccepted("Haven inbox alone", solo);
    p99.alone.push(solo.latencyMs.p99);
    await drainInbox(b);

    const fanSolo = await havenFanout(b, a, via, b.channels.shared, {
      expected: HOSTS,
      timeoutMs: 120_000,
    });
    checkCoalesced("Haven fan-out alone", fanSolo.report);
    fan.alone.push(rate(HOSTS, fanSolo.drainMs));

    // Both: the inbox load starts, the fan-out is published, the load stops when it drained.
    const windowMs = 30_000;
    await presignInbox(b, rig, "haven", (halfRate * windowMs) / 1000);
    const inbox: Promise<LoadResult> = sendInbox(b, rig, "haven", {
      durationMs: windowMs,
      rate: halfRate,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ended: { inbox?: LoadResult } = {};
    const both = await havenFanout(b, a, via, b.channels.shared, {
      expected: HOSTS,
      timeoutMs: 120_000,
      // The inbox load ends with the fan-out (its Accepts keep the queues busy).
      onDrained: async () => {
        await rig.loadgen.call("stop");
        ended.inbox = await inbox;
      },
    });
    const during = ended.inbox;
    if (!during) throw new Error("the inbox load did not finish");
    checkAccepted("Haven inbox during fan-out", during);
    checkCoalesced("Haven fan-out during inbox load", both.report);
    p99.during.push(during.latencyMs.p99);
    fan.during.push(rate(HOSTS, both.drainMs));
    await drainInbox(b);
    log(
      `S8 round ${r}: inbox p99 alone ${fmt(p99.alone.at(-1)!)} ms, during fan-out ${fmt(p99.during.at(-1)!)} ms (${during.requests} requests); fan-out alone ${fmt(fan.alone.at(-1)!)}/s, with inbox ${fmt(fan.during.at(-1)!)}/s`,
    );
  }
  return [
    ratioRow({
      name: "S8 inbox p99 in fan-out",
      unit: " ms",
      haven: p99.during,
      baseline: p99.alone,
      goal: "≤2×",
      higherIsBetter: false,
      threshold: 2,
      notes: [`inbox at ${fmt(halfRate)}/s (half of max), 0 non-2xx ✓; baseline = S4 alone`],
    }),
    ratioRow({
      name: "S8 fan-out in inbox load",
      unit: "/s",
      haven: fan.during,
      baseline: fan.alone,
      goal: "≥0.5×",
      higherIsBetter: true,
      threshold: 0.5,
      notes: [
        `exactly ${HOSTS} POSTs each ✓; baseline = S1 alone (median ${fmt(summarize(fan.alone).median)}/s)`,
      ],
    }),
  ];
}
