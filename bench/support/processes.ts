import { spawn } from "node:child_process";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { REPO_ROOT } from "./rpc.ts";

/** A Haven process (`src/main.ts serve --role …`), exactly as production starts it. */
export interface HavenProcess {
  readonly role: string;
  readonly pid: number;
  readonly port: number;
  readonly logPath: string;
  stop(): Promise<void>;
  /** Whether it is still running. */
  alive(): boolean;
}

export async function startHavenProcess(options: {
  role: "web" | "worker" | "all";
  port: number;
  env: Record<string, string>;
  logPath: string;
  nodeArgs?: string[];
}): Promise<HavenProcess> {
  const log = createWriteStream(options.logPath);
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      "--import",
      "tsx",
      "src/main.ts",
      "serve",
      "--role",
      options.role,
    ],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env, PORT: String(options.port) },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const proc: HavenProcess = {
    role: options.role,
    pid: child.pid ?? -1,
    port: options.port,
    logPath: options.logPath,
    alive: () => !exited,
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
      await exit;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`Haven ${options.role} exited at start:\n${tail(options.logPath)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${options.port}/healthz`);
      if (res.ok) return proc;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`Haven ${options.role} not healthy after 60 s:\n${tail(options.logPath)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Resident memory of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  return procStatusKiB(pid, "VmRSS") * 1024;
}

/** Peak resident memory since the last `resetPeakRss`. */
export function peakRssBytes(pid: number): number {
  return procStatusKiB(pid, "VmHWM") * 1024;
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs); false where unsupported. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

function procStatusKiB(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]);
}

/**
 * Samples RSS every `everyMs` while running; `stop()` returns the peak.
 * Backs up VmHWM where clear_refs is not allowed.
 */
export function sampleRss(pid: number, everyMs = 25) {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // process gone
    }
  }, everyMs);
  return {
    stop(): number {
      clearInterval(timer);
      return peak;
    },
  };
}
