import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { createAccount } from "../../src/accounts/account.service.ts";
import { issueToken } from "../../src/accounts/token.service.ts";
import { createDeps, type Deps } from "../../src/app.ts";
import { type Channel, createChannel } from "../../src/channels/channel.service.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { queryRows } from "../../src/db/client.ts";
import { cpuSeconds } from "./cpu.ts";
import { openOrchestratorDatabase } from "./database.ts";
import type { BenchOptions } from "./options.ts";
import { type HavenProcess, startHavenProcess } from "./processes.ts";
import { forkChild, type RpcChild } from "./rpc.ts";

/** A correctness check failed: the numbers of this scenario mean nothing. */
export class BenchFailure extends Error {
  override name = "BenchFailure";
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new BenchFailure(message);
}

export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function log(message: string): void {
  process.stderr.write(`  · ${message}\n`);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const PASSWORD = "bench password, not secret";

/**
 * Everything the scenarios share: a fresh database, a Haven web process
 * and a Haven worker process on it (started the way production starts
 * them), the orchestrator's own handle on the database for seeding and
 * queue checks, and the helper processes, started on first use.
 */
export class Bench {
  readonly options: BenchOptions;
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly databaseName: string;
  readonly config: Config;
  readonly deps: Deps;
  readonly env: Record<string, string>;
  web!: HavenProcess;
  worker!: HavenProcess;
  token = "";
  channels!: { shared: Channel; personal: Channel; inbox: Channel };
  readonly #children = new Map<string, Promise<RpcChild>>();
  readonly #memo = new Map<string, Promise<unknown>>();

  private constructor(init: {
    options: BenchOptions;
    dataDir: string;
    databaseUrl: string;
    databaseName: string;
    config: Config;
    deps: Deps;
    env: Record<string, string>;
  }) {
    this.options = init.options;
    this.dataDir = init.dataDir;
    this.databaseUrl = init.databaseUrl;
    this.databaseName = init.databaseName;
    this.config = init.config;
    this.deps = init.deps;
    this.env = init.env;
  }

  static async create(options: BenchOptions): Promise<Bench> {
    const databaseName = `haven_bench_${Date.now()}`;
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`CREATE DATABASE ${databaseName}`);
    } catch (e) {
      throw new Error(
        `Cannot create the bench database through ${ADMIN_URL} (set BENCH_DATABASE_URL to a PostgreSQL superuser URL): ${(e as Error).message}`,
      );
    } finally {
      await admin.end({ timeout: 5 });
    }
    const url = new URL(ADMIN_URL);
    url.pathname = `/${databaseName}`;
    const databaseUrl = url.toString();
    const dataDir = mkdtempSync(join(tmpdir(), "haven-bench-"));
    const webPort = await freePort();
    const env: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      PUBLIC_URL: `http://127.0.0.1:${webPort}`,
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      SECRET_KEY: "bench-secret-key-bench-secret-key-0123456789",
      ALLOW_PRIVATE_ADDRESS: "true",
      LOG_LEVEL: "warning",
    };
    const config = loadConfig({ ...env, PORT: String(webPort) });
    const deps = await createDeps(config, { database: openOrchestratorDatabase(databaseUrl) });
    const bench = new Bench({ options, dataDir, databaseUrl, databaseName, config, deps, env });
    try {
      await bench.#seedBase();
      await bench.#startHaven(webPort);
    } catch (e) {
      await bench.close();
      throw e;
    }
    return bench;
  }

  get origin(): string {
    return this.config.publicUrl.origin;
  }

  /** Host header of the web process. */
  get host(): string {
    return this.config.publicUrl.host;
  }

  get db() {
    return this.deps.database.db;
  }

  async #seedBase(): Promise<void> {
    const created = await createAccount(this.db, {
      username: "bench",
      password: PASSWORD,
      isAdmin: true,
    });
    if (!created.ok) throw new Error(created.error.message);
    const account = created.value.account;
    const token = await issueToken(this.db, this.deps.tokens, account, {
      name: "bench",
      ttlSeconds: 24 * 3600,
    });
    this.token = token.accessToken;
    const channel = async (name: string) => {
      const result = await createChannel(this.db, {
        name,
        ownerAccountId: account.id,
        displayName: `Bench ${name}`,
        summary: "Peer support videos for people who need a hand. ".repeat(6),
      });
      if (!result.ok) throw new Error(result.error.message);
      return result.value;
    };
    this.channels = {
      shared: await channel("fanshared"),
      personal: await channel("fanpersonal"),
      inbox: await channel("inboxchan"),
    };
  }

  async #startHaven(webPort: number): Promise<void> {
    const profile = (role: string) =>
      this.options.cpuProfDir
        ? [
            "--cpu-prof",
            "--cpu-prof-dir",
            this.options.cpuProfDir,
            "--cpu-prof-name",
            `${role}.cpuprofile`,
          ]
        : [];
    if (this.options.cpuProfDir) mkdirSync(this.options.cpuProfDir, { recursive: true });
    // Web and queue workers in separate processes, as BENCHMARKS.md advises.
    this.web = await startHavenProcess({
      role: "web",
      port: webPort,
      env: this.env,
      logPath: join(this.dataDir, "web.log"),
      nodeArgs: profile("web"),
    });
    this.worker = await startHavenProcess({
      role: "worker",
      port: await freePort(),
      env: this.env,
      logPath: join(this.dataDir, "worker.log"),
      nodeArgs: profile("worker"),
    });
  }

  /** A helper process, forked once and shared by the scenarios. */
  child(name: string, relativePath: string): Promise<RpcChild> {
    let child = this.#children.get(name);
    if (!child) {
      child = Promise.resolve(forkChild(name, relativePath));
      this.#children.set(name, child);
    }
    return child;
  }

  /** Runs `make` once; later calls get the same answer. */
  once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let value = this.#memo.get(key);
    if (!value) {
      value = make();
      this.#memo.set(key, value);
    }
    return value as Promise<T>;
  }

  async queueDepth(queues: readonly string[]): Promise<{ total: number; locked: number }> {
    const rows = await queryRows<{ total: number; locked: number }>(
      this.db,
      sql`SELECT count(*)::int AS total,
                 count(*) FILTER (WHERE locked_until > now())::int AS locked
          FROM fedify_messages WHERE queue IN (${sql.join(
            queues.map((q) => sql`${q}`),
            sql`, `,
          )})`,
    );
    return rows[0] ?? { total: 0, locked: 0 };
  }

  /** Waits until `queues` hold no messages (or, with `lockedOnly`, none in flight). */
  async waitQueuesIdle(
    queues: readonly string[],
    timeoutMs: number,
    lockedOnly = false,
  ): Promise<number> {
    const started = now();
    for (;;) {
      const depth = await this.queueDepth(queues);
      if ((lockedOnly ? depth.locked : depth.total) === 0) return now() - started;
      if (now() - started > timeoutMs) {
        throw new BenchFailure(
          `queues ${queues.join("/")} still hold ${depth.total} messages (${depth.locked} in flight) after ${Math.round(timeoutMs / 1000)} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Forgets deliveries left behind (retries of dead hosts) and circuit-breaker state. */
  async purgeDeliveries(): Promise<void> {
    await this.db.execute(
      sql`DELETE FROM fedify_messages WHERE queue IN ('outbox', 'fanout', 'events', 'raw-outbox')`,
    );
    await this.db.execute(sql`DELETE FROM fedify_kv WHERE key LIKE '["_fedify","circuit"%'`);
  }

  /**
   * CPU seconds used so far by Haven: its web and worker processes and each
   * database session serving them (application_name "haven"). Differences
   * of two readings give the CPU cost of a run, which a noisy machine
   * disturbs far less than it disturbs throughput.
   */
  async havenCpu(): Promise<CpuSnapshot> {
    const rows = await queryRows<{ pid: number }>(
      this.db,
      sql`SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'haven'`,
    );
    return {
      web: cpuSeconds(this.web.pid),
      worker: cpuSeconds(this.worker.pid),
      db: new Map(rows.map(({ pid }) => [pid, cpuSeconds(pid)])),
    };
  }

  /** Fails the run if a Haven process died. */
  assertAlive(): void {
    for (const p of [this.web, this.worker]) {
      check(p.alive(), `Haven ${p.role} process died; see ${p.logPath}`);
    }
  }

  async close(): Promise<void> {
    for (const child of this.#children.values()) await (await child).stop();
    await this.worker?.stop();
    await this.web?.stop();
    await this.deps.close();
    if (this.options.keep) {
      log(`kept database ${this.databaseUrl} and data directory ${this.dataDir}`);
      return;
    }
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${this.databaseName} WITH (FORCE)`);
    } finally {
      await admin.end({ timeout: 5 });
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface CpuCost {
  web: number;
  worker: number;
  db: number;
}

export interface CpuSnapshot {
  web: number;
  worker: number;
  /** CPU seconds per database backend pid. */
  db: Map<number, number>;
}

/** Milliseconds of CPU per operation between two `havenCpu()` readings. */
export function cpuPerOp(before: CpuSnapshot, after: CpuSnapshot, ops: number): CpuCost {
  let db = 0;
  // A session opened during the run spent all its CPU in it; one that closed is lost.
  for (const [pid, seconds] of after.db) db += seconds - (before.db.get(pid) ?? 0);
  return {
    web: ((after.web - before.web) / ops) * 1000,
    worker: ((after.worker - before.worker) / ops) * 1000,
    db: (db / ops) * 1000,
  };
}

/** The median of each part over the rounds, e.g. "CPU ms/delivery: web 0.01 + worker 2.1 + db 0.9". */
export function formatCpu(unit: string, costs: readonly CpuCost[]): string {
  const mid = (pick: (c: CpuCost) => number) => {
    const sorted = costs.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
  };
  const f = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
  return `Haven CPU ms/${unit}: web ${f(mid((c) => c.web))} + worker ${f(mid((c) => c.worker))} + db ${f(mid((c) => c.db))}`;
}
