import { sql } from "drizzle-orm";
import {
  type Bench,
  type CpuCost,
  check,
  cpuPerOp,
  formatCpu,
  log,
  now,
} from "../support/bench.ts";
import type { LoadResult } from "../support/load.ts";
import { type Row, ratioRow } from "../support/report.ts";
import type { RpcChild } from "../support/rpc.ts";
import { fmt, summarize } from "../support/stats.ts";

const CONCURRENCY = 50;
export const WEBFINGER_ACCOUNTS = 100_000;
const DOC_ACTORS = 1_000;

interface LookupRig {
  loadgen: RpcChild;
  baselinePort: number;
}

/**
 * 100,000 members (`w000000`…) for WebFinger and 1,000 more (`doc0000`…)
 * for actor documents. Every one has keys (copies of the bench member's),
 * as real accounts do: Fedify builds the whole actor for a WebFinger answer
 * and warns on each keyless one, which would bill log writes to Haven.
 */
function lookupRig(b: Bench): Promise<LookupRig> {
  return b.once("lookup-rig", async () => {
    const started = now();
    await b.db.execute(sql`
      INSERT INTO local_actors (handle, kind, display_name, summary)
      SELECT 'w' || lpad(g::text, 6, '0'), 'person', 'Member ' || g, 'Here to listen.'
      FROM generate_series(0, ${WEBFINGER_ACCOUNTS - 1}) g`);
    await b.db.execute(sql`
      INSERT INTO local_actors (handle, kind, display_name, summary)
      SELECT 'doc' || lpad(g::text, 4, '0'), 'person', 'Member ' || g, 'Here to listen.'
      FROM generate_series(0, ${DOC_ACTORS - 1}) g`);
    await b.db.execute(sql`
      INSERT INTO actor_keys (actor_id, algorithm, private_jwk, public_jwk)
      SELECT a.id, k.algorithm, k.private_jwk, k.public_jwk
      FROM local_actors a CROSS JOIN (
        SELECT algorithm, private_jwk, public_jwk FROM actor_keys
        WHERE actor_id = (SELECT id FROM local_actors WHERE handle = 'bench')
      ) k
      WHERE a.handle LIKE 'w%' OR a.handle LIKE 'doc%'`);
    await b.db.execute(sql`ANALYZE local_actors`);
    await b.db.execute(sql`ANALYZE actor_keys`);
    const server = await b.child("lookup-server", "baselines/lookup-server.ts");
    const { port } = await server.call<{ port: number }>("start", { databaseUrl: b.databaseUrl });
    const loadgen = await b.child("loadgen", "support/loadgen.ts");
    log(
      `${WEBFINGER_ACCOUNTS} + ${DOC_ACTORS} actors seeded in ${Math.round(now() - started)} ms; lookup baseline on :${port}`,
    );
    return { loadgen, baselinePort: port };
  });
}

async function lookupLoad(
  b: Bench,
  rig: LookupRig,
  target: "haven" | "baseline",
  kind: "webfinger" | "actor",
  durationMs: number,
): Promise<LoadResult> {
  // Both answer as 127.0.0.1:<Haven's port>, so documents and checks are identical.
  const port = target === "haven" ? b.web.port : rig.baselinePort;
  const res = await rig.loadgen.call<LoadResult>("lookup", {
    target: { address: "127.0.0.1", port, host: b.host },
    concurrency: CONCURRENCY,
    durationMs,
    kind,
    ...(kind === "webfinger"
      ? { prefix: "w", pad: 6, count: WEBFINGER_ACCOUNTS }
      : { prefix: "doc", pad: 4, count: DOC_ACTORS }),
  });
  check(
    res.failures === 0,
    `${target} ${kind}: ${res.failures} of ${res.requests} wrong (${JSON.stringify(res.statuses)}): ${res.failureSamples.join("; ")}`,
  );
  return res;
}

async function lookupScenario(
  b: Bench,
  kind: "webfinger" | "actor",
): Promise<{ haven: number[]; baseline: number[]; p99: number[]; cpu: CpuCost[] }> {
  const rig = await lookupRig(b);
  await lookupLoad(b, rig, "haven", kind, 1_500);
  await lookupLoad(b, rig, "baseline", kind, 1_500);
  const haven: number[] = [];
  const baseline: number[] = [];
  const p99: number[] = [];
  const cpu: CpuCost[] = [];
  for (let r = 1; r <= b.options.rounds; r++) {
    const before = await b.havenCpu();
    const h = await lookupLoad(b, rig, "haven", kind, b.options.durationMs);
    cpu.push(cpuPerOp(before, await b.havenCpu(), h.requests));
    b.assertAlive();
    const bl = await lookupLoad(b, rig, "baseline", kind, b.options.durationMs);
    haven.push(h.rate);
    baseline.push(bl.rate);
    p99.push(h.latencyMs.p99);
    log(
      `${kind === "webfinger" ? "S5" : "S6"} round ${r}: Haven ${fmt(h.rate)}/s (p50 ${fmt(h.latencyMs.p50)} ms, p99 ${fmt(h.latencyMs.p99)} ms), baseline ${fmt(bl.rate)}/s (p99 ${fmt(bl.latencyMs.p99)} ms)`,
    );
  }
  return { haven, baseline, p99, cpu };
}

export async function s5(b: Bench): Promise<Row> {
  const { haven, baseline, p99, cpu } = await lookupScenario(b, "webfinger");
  const midP99 = summarize(p99).median;
  return ratioRow({
    name: "S5 WebFinger",
    unit: "/s",
    haven,
    baseline,
    goal: "≥0.5×",
    higherIsBetter: true,
    threshold: 0.5,
    extraPass: midP99 <= 50,
    notes: [
      `${WEBFINGER_ACCOUNTS.toLocaleString("en-US")} accounts, random, ${CONCURRENCY} concurrent`,
      `p99 ${fmt(midP99)} ms [${fmt(Math.min(...p99))}–${fmt(Math.max(...p99))}] (≤50 ${midP99 <= 50 ? "✓" : "✗"})`,
      formatCpu("lookup", cpu),
    ],
  });
}

export async function s6(b: Bench): Promise<Row> {
  const { haven, baseline, p99, cpu } = await lookupScenario(b, "actor");
  return ratioRow({
    name: "S6 actor document",
    unit: "/s",
    haven,
    baseline,
    goal: "≥0.35×",
    higherIsBetter: true,
    threshold: 0.35,
    notes: [
      `${DOC_ACTORS.toLocaleString("en-US")} actors with keys, random, ${CONCURRENCY} concurrent`,
      `Haven p99 ${fmt(summarize(p99).median)} ms`,
      formatCpu("GET", cpu),
    ],
  });
}
