import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Load generators, sinks and baselines run in their own processes so their
 * CPU is not Haven's (and vice versa). They are forked with tsx and talk to
 * the orchestrator over the IPC channel: `{id, cmd, args}` → `{id, ok, value}`.
 */

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export interface RpcChild {
  readonly name: string;
  readonly pid: number;
  call<T = unknown>(cmd: string, args?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Forks `bench/<relativePath>` (a module that calls `serveRpc`). */
export function forkChild(name: string, relativePath: string): RpcChild {
  const child: ChildProcess = fork(new URL(`../${relativePath}`, import.meta.url), [], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exited = true;
      for (const p of pending.values()) {
        p.reject(new Error(`${name} exited (code ${code}, signal ${signal}) during a call`));
      }
      pending.clear();
      resolve();
    });
  });
  child.on("message", (raw) => {
    const reply = raw as Reply;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new Error(`${name}: ${reply.error}`));
  });
  return {
    name,
    pid: child.pid ?? -1,
    call<T>(cmd: string, args?: unknown): Promise<T> {
      if (exited) return Promise.reject(new Error(`${name} is not running`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, cmd, args });
      });
    },
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

export type Handlers = Record<string, (args: never) => unknown>;

/** In a forked child: answer the orchestrator's calls; exit when it goes away. */
export function serveRpc(handlers: Handlers): void {
  if (!process.send) throw new Error("serveRpc: not started with an IPC channel");
  process.on("message", async (raw) => {
    const { id, cmd, args } = raw as { id: number; cmd: string; args: unknown };
    const handler = handlers[cmd];
    let reply: Reply;
    try {
      if (!handler) throw new Error(`unknown command ${cmd}`);
      reply = { id, ok: true, value: await handler(args as never) };
    } catch (e) {
      reply = { id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
    process.send?.(reply);
  });
  process.on("disconnect", () => process.exit(0));
}
