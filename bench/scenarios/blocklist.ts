import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEmbedded } from "../../src/db/client.ts";
import { type Bench, check, freePort, log, now } from "../support/bench.ts";
import { type HavenProcess, startHavenProcess } from "../support/processes.ts";
import type { Row } from "../support/report.ts";
import { fmt, summarize } from "../support/stats.ts";
import {
  blocklistCsv,
  ENTRIES,
  expectedCut,
  plainFetch,
  resetState,
  seedAdmin,
  startProbe,
} from "./blocklist-support.ts";

const APPLY_GOAL_S = 5;
const WAIT_GOAL_MS = 1_000;

interface Target {
  readonly label: string;
  readonly origin: string;
  readonly token: string;
  /** Restores the state before the import (Haven may be restarted for it). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

interface RoundResult {
  previewS: number;
  applyS: number;
  maxWaitMs: number;
  probes: number;
  auditEntries: number;
  cut: number;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
async function post(t: Target, path: string, body: string, type: string): Promise<any> {
  const res = await plainFetch(`${t.origin}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${t.token}`, "Content-Type": type },
    body,
  });
  const text = await res.text();
  check(res.ok, `${t.label}: POST ${path} → ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function round(b: Bench, t: Target, csv: string): Promise<RoundResult> {
  await t.reset();
  const probe = await startProbe(b, t.origin, t.token);
  let started = now();
  const preview = await post(t, "/api/v1/admin/domain_blocks/import", csv, "text/csv");
  const previewS = (now() - started) / 1000;
  check(
    preview.changes.totals.new === ENTRIES && preview.errors.length === 0,
    `${t.label}: preview shows ${preview.changes.totals.new} new, ${preview.errors.length} errors`,
  );
  started = now();
  const applied = await post(
    t,
    `/api/v1/admin/domain_blocks/import/${preview.token}/apply`,
    "{}",
    "application/json",
  );
  const applyS = (now() - started) / 1000;
  // Other processes reload the policy after the NOTIFY: keep probing a moment.
  await new Promise((r) => setTimeout(r, 1_000));
  const { waits, failures } = await probe.stop();
  check(failures.length === 0, `${t.label}: probe failures ${failures.slice(0, 3).join("; ")}`);
  check(
    applied.changes.totals.new === ENTRIES,
    `${t.label}: applied ${applied.changes.totals.new}`,
  );
  const cut = applied.purged.reduce(
    (n: number, p: { removed: { follows: number } }) => n + p.removed.follows,
    0,
  );
  check(cut === expectedCut(), `${t.label}: ${cut} follows purged, expected ${expectedCut()}`);
  const auditRes = await plainFetch(`${t.origin}/api/v1/admin/audit_log?limit=200`, {
    headers: { Authorization: `Bearer ${t.token}` },
  });
  const audit = (await auditRes.json()) as { action: string }[];
  return {
    previewS,
    applyS,
    maxWaitMs: Math.max(...waits),
    probes: waits.length,
    auditEntries: audit.length,
    cut,
  };
}

function postgresTarget(b: Bench): Promise<Target> {
  return b.once("s9-postgres", async () => {
    const token = await seedAdmin(b.db, b.deps.tokens);
    return {
      label: "PostgreSQL",
      origin: b.origin,
      token,
      reset: () => resetState(b.db),
      close: async () => {},
    };
  });
}

/** One Haven process on its own PGlite directory, as a small instance runs. */
async function embeddedTarget(b: Bench): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), "haven-s9-"));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = { ...b.env, DATABASE_URL: "", DATA_DIR: dataDir, PUBLIC_URL: origin };
  const withDatabase = async <T>(fn: (db: Awaited<ReturnType<typeof openEmbedded>>) => T) => {
    const database = await openEmbedded(join(dataDir, "db"));
    try {
      await database.migrate();
      return await fn(database);
    } finally {
      await database.close();
    }
  };
  const token = await withDatabase((d) =>
    seedAdmin(d.db, { key: b.deps.tokens.key, issuer: origin }),
  );
  let haven: HavenProcess | null = null;
  const start = async () => {
    haven = await startHavenProcess({
      role: "all",
      port,
      env,
      logPath: join(dataDir, "haven.log"),
      nodeArgs: b.options.cpuProfDir
        ? [
            "--cpu-prof",
            "--cpu-prof-dir",
            b.options.cpuProfDir,
            "--cpu-prof-name",
            `s9-pglite-${Date.now()}.cpuprofile`,
          ]
        : [],
    });
  };
  return {
    label: "PGlite",
    origin,
    token,
    async reset() {
      // Only one process may open a PGlite directory: stop Haven to reset it.
      await haven?.stop();
      await withDatabase((d) => resetState(d.db));
      await start();
    },
    async close() {
      await haven?.stop();
      if (!b.options.keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function toRow(label: string, results: RoundResult[]): Row {
  const apply = results.map((r) => r.applyS);
  const maxWait = Math.max(...results.map((r) => r.maxWaitMs));
  const audit = Math.max(...results.map((r) => r.auditEntries));
  const mid = summarize(apply).median;
  const pass = mid <= APPLY_GOAL_S && maxWait <= WAIT_GOAL_MS && audit <= 2;
  return {
    name: `S9 blocklist ${label}`,
    unit: " s",
    haven: apply,
    baseline: [],
    ratios: apply.map((s) => s / APPLY_GOAL_S),
    goal: `apply ≤${APPLY_GOAL_S} s`,
    pass,
    notes: [
      `${ENTRIES.toLocaleString("en-US")} entries, ${results[0]!.cut} follows cut`,
      `apply ${results.map((r) => fmt(r.applyS)).join(" / ")} s`,
      `preview ${results.map((r) => fmt(r.previewS)).join(" / ")} s`,
      `max wait of a GET every 250 ms ${fmt(maxWait)} ms (≤${WAIT_GOAL_MS} ${maxWait <= WAIT_GOAL_MS ? "✓" : "✗"}), ${results[0]!.probes} GETs/round`,
      `audit entries per import ${audit} (import.apply + one purge) ${audit <= 2 ? "✓" : "✗"}`,
    ],
  };
}

/** BENCHMARKS.md S9 on PostgreSQL (the bench's web process) and on embedded PGlite. */
export async function s9(b: Bench): Promise<Row[]> {
  const csv = blocklistCsv();
  const rows: Row[] = [];
  for (const make of [postgresTarget, embeddedTarget]) {
    const target = await make(b);
    try {
      const results: RoundResult[] = [];
      for (let r = 1; r <= b.options.rounds; r++) {
        const result = await round(b, target, csv);
        results.push(result);
        log(
          `S9 ${target.label} round ${r}: preview ${fmt(result.previewS)} s, apply ${fmt(result.applyS)} s, max wait ${fmt(result.maxWaitMs)} ms over ${result.probes} GETs, ${result.auditEntries} audit entries`,
        );
      }
      rows.push(toRow(target.label, results));
    } finally {
      await target.close();
    }
  }
  return rows;
}
