import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Bench, check, log } from "../support/bench.ts";
import type { LoadResult } from "../support/load.ts";
import { writePatternFile } from "../support/media-pattern.ts";
import { rssBytes, sampleRss } from "../support/processes.ts";
import { MiB, type Row, ratioRow } from "../support/report.ts";
import type { RpcChild } from "../support/rpc.ts";
import { fmt, summarize } from "../support/stats.ts";

const FILE_BYTES = 100 * MiB;
const KEY = "bench/big.mp4";
const READERS = 100;

interface MediaRig {
  loadgen: RpcChild;
  rangeServer: { pid: number; port: number };
}

function mediaRig(b: Bench): Promise<MediaRig> {
  return b.once("media-rig", async () => {
    const dir = join(b.dataDir, "media", "bench");
    await mkdir(dir, { recursive: true });
    const file = join(b.dataDir, "media", KEY);
    await writePatternFile(file, FILE_BYTES);
    const server = await b.child("range-server", "baselines/range-server.ts");
    const { port } = await server.call<{ port: number }>("start", { file });
    const loadgen = await b.child("loadgen", "support/loadgen.ts");
    log(`100 MiB file at ${file}; range baseline on :${port}`);
    return { loadgen, rangeServer: { pid: server.pid, port } };
  });
}

function target(b: Bench, rig: MediaRig, who: "haven" | "baseline") {
  const port = who === "haven" ? b.web.port : rig.rangeServer.port;
  return { address: "127.0.0.1", port, host: b.host };
}

async function rangeLoad(
  b: Bench,
  rig: MediaRig,
  who: "haven" | "baseline",
  mode: "ranges" | "full",
  durationMs: number,
): Promise<number> {
  const res = await rig.loadgen.call<LoadResult>("range", {
    target: target(b, rig, who),
    concurrency: mode === "ranges" ? 16 : 4,
    durationMs,
    path: `/media/${KEY}`,
    size: FILE_BYTES,
    mode,
    rangeBytes: MiB,
  });
  check(
    res.failures === 0,
    `${who} ${mode}: ${res.failures} of ${res.requests} wrong (${JSON.stringify(res.statuses)}): ${res.failureSamples.join("; ")}`,
  );
  return res.bodyBytes / MiB / (res.elapsedMs / 1000);
}

/** RSS growth of `pid` while 100 slow clients each read the whole file. */
async function readersMemory(b: Bench, rig: MediaRig, who: "haven" | "baseline", pid: number) {
  const before = rssBytes(pid);
  const sampler = sampleRss(pid);
  await rig.loadgen.call("slowReaders", {
    target: target(b, rig, who),
    path: `/media/${KEY}`,
    readers: READERS,
    durationMs: 4_000,
    // Slow clients: the server must hold back, not read ahead into memory.
    bytesPerSecond: MiB / 2,
  });
  return (sampler.stop() - before) / MiB;
}

export async function s7(b: Bench): Promise<Row[]> {
  const rig = await mediaRig(b);
  for (const who of ["haven", "baseline"] as const) {
    const problems = await rig.loadgen.call<string[]>("rangeProbe", {
      target: target(b, rig, who),
      path: `/media/${KEY}`,
      size: FILE_BYTES,
    });
    check(problems.length === 0, `${who}: ${problems.join("; ")}`);
    await rangeLoad(b, rig, who, "ranges", 1_000);
  }
  const d = b.options.durationMs;
  const ranges = { haven: [] as number[], baseline: [] as number[] };
  const full = { haven: [] as number[], baseline: [] as number[] };
  const memory = { haven: [] as number[], baseline: [] as number[] };
  for (let r = 1; r <= b.options.rounds; r++) {
    ranges.haven.push(await rangeLoad(b, rig, "haven", "ranges", d));
    ranges.baseline.push(await rangeLoad(b, rig, "baseline", "ranges", d));
    full.haven.push(await rangeLoad(b, rig, "haven", "full", d));
    full.baseline.push(await rangeLoad(b, rig, "baseline", "full", d));
    memory.haven.push(await readersMemory(b, rig, "haven", b.web.pid));
    memory.baseline.push(await readersMemory(b, rig, "baseline", rig.rangeServer.pid));
    b.assertAlive();
    log(
      `S7 round ${r}: ranges Haven ${fmt(ranges.haven.at(-1)!)} MiB/s, baseline ${fmt(ranges.baseline.at(-1)!)}; full Haven ${fmt(full.haven.at(-1)!)}, baseline ${fmt(full.baseline.at(-1)!)}; ${READERS} readers +${fmt(memory.haven.at(-1)!)} MiB (baseline +${fmt(memory.baseline.at(-1)!)})`,
    );
  }
  const midMemory = summarize(memory.haven).median;
  return [
    ratioRow({
      name: "S7 media 1 MiB ranges",
      unit: " MiB/s",
      haven: ranges.haven,
      baseline: ranges.baseline,
      goal: "≥0.8×",
      higherIsBetter: true,
      threshold: 0.8,
      extraPass: midMemory <= 50,
      notes: [
        "16 concurrent; 206/416/Content-Range and bytes checked ✓",
        `${READERS} slow readers: web RSS peak +${fmt(midMemory)} MiB [${fmt(Math.min(...memory.haven))}–${fmt(Math.max(...memory.haven))}] (≤50 ${midMemory <= 50 ? "✓" : "✗"}; baseline +${fmt(summarize(memory.baseline).median)})`,
      ],
    }),
    ratioRow({
      name: "S7 media full GETs",
      unit: " MiB/s",
      haven: full.haven,
      baseline: full.baseline,
      goal: "≥0.8×",
      higherIsBetter: true,
      threshold: 0.8,
      notes: ["4 concurrent 100 MiB GETs, bytes checked ✓"],
    }),
  ];
}
