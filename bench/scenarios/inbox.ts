import { type Bench, type CpuCost, check, cpuPerOp, formatCpu, log } from "../support/bench.ts";
import type { InboxPlan } from "../support/inbox-activities.ts";
import type { LoadResult } from "../support/load.ts";
import { type Row, ratioRow } from "../support/report.ts";
import type { RpcChild } from "../support/rpc.ts";
import { fmt, summarize } from "../support/stats.ts";

export const INBOX_CONCURRENCY = 50;
const ACTORS = 100;

export interface InboxRig {
  loadgen: RpcChild;
  actors: { origin: string; host: string; privateKeys: string[] };
  baselinePort: number;
}

export function inboxRig(b: Bench): Promise<InboxRig> {
  return b.once("inbox-rig", async () => {
    const fake = await b.child("fake-actors", "support/fake-actors.ts");
    const actors = await fake.call<InboxRig["actors"]>("start", {
      host: "127.0.9.1",
      count: ACTORS,
    });
    const server = await b.child("verify-insert-server", "baselines/verify-insert-server.ts");
    const { port } = await server.call<{ port: number }>("start", { databaseUrl: b.databaseUrl });
    const loadgen = await b.child("loadgen", "support/loadgen.ts");
    log(`${ACTORS} fake actors at ${actors.origin}; verify+insert baseline on :${port}`);
    return { loadgen, actors, baselinePort: port };
  });
}

let runs = 0;

function inboxTarget(b: Bench, rig: InboxRig, who: "haven" | "baseline") {
  const port = who === "haven" ? b.web.port : rig.baselinePort;
  return { address: "127.0.0.1", port, host: `127.0.0.1:${port}` };
}

/** Signs `count` fresh requests for `who` in the load generator (off the clock). */
export async function presignInbox(
  b: Bench,
  rig: InboxRig,
  who: "haven" | "baseline",
  count: number,
): Promise<void> {
  const plan: InboxPlan = {
    actorsOrigin: rig.actors.origin,
    host: inboxTarget(b, rig, who).host,
    channel: b.channels.inbox.handle,
    runTag: `${Date.now().toString(36)}-${++runs}`,
  };
  await rig.loadgen.call("presign", {
    plan,
    privateKeys: rig.actors.privateKeys,
    count: Math.max(200, Math.ceil(count)),
  });
}

/** Sends the presigned requests: closed loop, or open loop at `rate`; stops early on `stop`. */
export function sendInbox(
  b: Bench,
  rig: InboxRig,
  who: "haven" | "baseline",
  o: { durationMs: number; rate?: number },
): Promise<LoadResult> {
  return rig.loadgen.call<LoadResult>("inbox", {
    target: inboxTarget(b, rig, who),
    concurrency: INBOX_CONCURRENCY,
    durationMs: o.durationMs,
    rate: o.rate,
  });
}

export async function inboxLoad(
  b: Bench,
  rig: InboxRig,
  who: "haven" | "baseline",
  o: { count: number; durationMs: number; rate?: number },
): Promise<LoadResult> {
  await presignInbox(b, rig, who, o.count);
  return sendInbox(b, rig, who, o);
}

export function checkAccepted(who: string, res: LoadResult): void {
  check(
    res.failures === 0,
    `${who}: ${res.failures} of ${res.requests} inbox POSTs failed (${JSON.stringify(res.statuses)}): ${res.failureSamples.join("; ")}`,
  );
}

/** Lets Haven's worker process finish the accepted activities before the next run. */
export async function drainInbox(b: Bench): Promise<number> {
  return b.waitQueuesIdle(["inbox", "outbox", "raw-outbox"], 180_000);
}

/** Haven's half-of-max rate from S4 (measured once; S8 reuses it). */
export interface InboxCapacity {
  maxRate: number;
  halfRate: number;
  soloP99: number[];
}

export async function s4(b: Bench): Promise<{ row: Row; capacity: InboxCapacity }> {
  const rig = await inboxRig(b);
  const d = b.options.durationMs;
  let havenEstimate = 1_500;
  let baselineEstimate = 3_000;
  // Warm-up (untimed): key fetches and JIT on both sides.
  checkAccepted(
    "Haven warm-up",
    await inboxLoad(b, rig, "haven", { count: 600, durationMs: 2_000 }),
  );
  checkAccepted(
    "baseline warm-up",
    await inboxLoad(b, rig, "baseline", { count: 600, durationMs: 2_000 }),
  );
  await drainInbox(b);
  const haven: number[] = [];
  const baseline: number[] = [];
  const p99: number[] = [];
  const maxP99: number[] = [];
  const drains: number[] = [];
  const cpu: CpuCost[] = [];
  for (let r = 1; r <= b.options.rounds; r++) {
    await presignInbox(b, rig, "haven", (havenEstimate * d) / 1000);
    const before = await b.havenCpu();
    const h = await sendInbox(b, rig, "haven", { durationMs: d });
    checkAccepted("Haven", h);
    b.assertAlive();
    haven.push(h.rate);
    maxP99.push(h.latencyMs.p99);
    havenEstimate = Math.max(havenEstimate, h.rate * 1.4);
    drains.push(await drainInbox(b));
    // Web (verify, enqueue) and worker (handlers, Accepts) per accepted activity.
    cpu.push(cpuPerOp(before, await b.havenCpu(), h.requests));
    const bl = await inboxLoad(b, rig, "baseline", {
      count: (baselineEstimate * d) / 1000,
      durationMs: d,
    });
    checkAccepted("baseline", bl);
    baseline.push(bl.rate);
    baselineEstimate = Math.max(baselineEstimate, bl.rate * 1.3);
    const half = h.rate / 2;
    const paced = await inboxLoad(b, rig, "haven", {
      count: (half * d * 1.05) / 1000,
      durationMs: d,
      rate: half,
    });
    checkAccepted("Haven at half rate", paced);
    p99.push(paced.latencyMs.p99);
    await drainInbox(b);
    log(
      `S4 round ${r}: Haven ${fmt(h.rate)}/s (p99 ${fmt(h.latencyMs.p99)} ms; backlog drained in ${fmt(drains.at(-1)! / 1000)} s), baseline ${fmt(bl.rate)}/s; Haven at ${fmt(half)}/s: p99 ${fmt(paced.latencyMs.p99)} ms`,
    );
  }
  const midP99 = summarize(p99).median;
  const maxRate = summarize(haven).median;
  return {
    capacity: { maxRate, halfRate: maxRate / 2, soloP99: p99 },
    row: ratioRow({
      name: "S4 inbox",
      unit: "/s",
      haven,
      baseline,
      goal: "≥0.4×",
      higherIsBetter: true,
      threshold: 0.4,
      extraPass: midP99 <= 100,
      notes: [
        "0 non-2xx ✓",
        `p99 at half max rate ${fmt(midP99)} ms [${fmt(Math.min(...p99))}–${fmt(Math.max(...p99))}] (≤100 ${midP99 <= 100 ? "✓" : "✗"})`,
        `p99 at max ${fmt(summarize(maxP99).median)} ms`,
        `worker backlog after ${d / 1000} s at max drained in ${fmt(summarize(drains).median / 1000)} s`,
        formatCpu("activity", cpu),
      ],
    }),
  };
}
