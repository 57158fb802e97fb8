import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { clip } from "./peertube-log.ts";
import { waitFor } from "./wait.ts";

/** Another loopback address than PeerTube's 127.0.0.1 (see README). */
const DEFAULT_HOST = "127.0.0.41";
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface HavenProcess {
  readonly origin: string;
  readonly databaseUrl: string;
  readonly sql: postgres.Sql;
  /** Runs `haven <args>` (the CLI) against the same database and settings. */
  cli(args: string[], stdin?: string): Promise<string>;
  /** The end of Haven's own log, for failure messages. */
  logTail(lines?: number): string;
  readonly logPath: string;
  stop(): Promise<void>;
}

/**
 * Haven as an operator runs it (`haven serve`, a child process with the
 * production HTTP server settings), on its own loopback address and a fresh
 * PostgreSQL database that `stop` drops.
 */
export async function startHavenProcess(options: {
  origin: URL | null;
  adminDatabaseUrl: string;
  runId: string;
}): Promise<HavenProcess> {
  const origin =
    options.origin ?? new URL(`http://${DEFAULT_HOST}:${await freePort(DEFAULT_HOST)}`);
  const port = origin.port || "80";
  if (await answers(origin.hostname, Number(port))) {
    throw new Error(
      `something already listens on ${origin.host}; stop it or set HAVEN_PEERS_ORIGIN to another loopback address`,
    );
  }
  const dbName = `haven_peers_${options.runId}`;
  const admin = postgres(options.adminDatabaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(options.adminDatabaseUrl);
  dbUrl.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(join(tmpdir(), "haven-peers-"));
  const logPath = join(dataDir, "haven.log");
  const env = {
    ...process.env,
    HOST: origin.hostname,
    PORT: port,
    PUBLIC_URL: origin.origin,
    DATABASE_URL: dbUrl.toString(),
    DATA_DIR: dataDir,
    SECRET_KEY: `peers-secret-${options.runId}-0123456789abcdef0123456789`,
    ALLOW_PRIVATE_ADDRESS: "true",
    LOG_LEVEL: process.env.HAVEN_PEERS_LOG_LEVEL || "info",
  };
  const tsx = ["--import", "tsx", join(ROOT, "src/main.ts")];
  const cli = (args: string[], stdin?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [...tsx, ...args],
        { env, cwd: ROOT, timeout: 60_000 },
        (error, stdout, stderr) =>
          error
            ? reject(new Error(`haven ${args.join(" ")}: ${error.message}\n${stdout}${stderr}`))
            : resolve(stdout),
      );
      child.stdin?.end(stdin ?? "");
    });
  // Migrations first, so the server and the CLI find the schema.
  await cli(["migrate"]);
  const log = createWriteStream(logPath);
  const child: ChildProcess = spawn(process.execPath, [...tsx, "serve"], {
    env,
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited: number | null = null;
  child.on("exit", (code) => {
    exited = code ?? -1;
  });
  const logTail = (n = 40) => {
    try {
      return readFileSync(logPath, "utf8").split("\n").slice(-n).join("\n");
    } catch {
      return "";
    }
  };
  const sql = postgres(dbUrl.toString(), { max: 2, onnotice: () => {} });
  const stop = async () => {
    if (exited === null) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      if (exited === null) child.kill("SIGKILL");
    }
    await sql.end({ timeout: 5 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    await admin.end({ timeout: 5 });
    if (!process.env.HAVEN_PEERS_KEEP_LOG) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `Haven to answer /healthz on ${origin.origin}`,
      async () => {
        if (exited !== null) throw new Error(`haven serve exited with ${exited}:\n${logTail()}`);
        const res = await fetch(`${origin.origin}/healthz`).catch(() => null);
        return res?.ok ? true : undefined;
      },
      { timeoutMs: 60_000, explain: async () => `Haven's log:\n${clip(logTail(), 3000)}` },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { origin: origin.origin, databaseUrl: dbUrl.toString(), sql, cli, logTail, logPath, stop };
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
