import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import { createAccount } from "../../src/accounts/account.service.ts";
import { issueToken } from "../../src/accounts/token.service.ts";
import { createApp, createDeps, type Deps, type DepsOverrides, runWorkers } from "../../src/app.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/client.ts";
import { HTTP_SERVER_OPTIONS } from "../../src/http/server.ts";

export interface TestHaven {
  origin: string;
  host: string;
  deps: Deps;
  app: Hono;
  config: Config;
  /** Starts the queue workers (inbox, outbox, events). */
  startWorkers(): void;
  stopWorkers(): Promise<void>;
  /** Creates a member and returns a bearer token for it. */
  createUser(
    name: string,
    options?: { admin?: boolean },
  ): Promise<{ token: string; accountId: string }>;
  close(): Promise<void>;
}

/**
 * A real Haven (HTTP on 127.0.0.1, real database) for a test file. The port
 * is bound first so PUBLIC_URL can name it.
 */
export async function startHaven(
  database: Database,
  options: {
    env?: Record<string, string>;
    overrides?: Omit<DepsOverrides, "database">;
    workers?: boolean;
  } = {},
): Promise<TestHaven> {
  const server: Server = createServer(HTTP_SERVER_OPTIONS);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const dataDir = mkdtempSync(join(tmpdir(), "haven-test-"));
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    SECRET_KEY: "test-secret-key-test-secret-key-0123456789",
    ALLOW_PRIVATE_ADDRESS: "true",
    LOG_LEVEL: "error",
    ...options.env,
  });
  const deps = await createDeps(config, { database, ...options.overrides });
  const app = createApp(deps);
  server.on("request", getRequestListener(app.fetch));
  let controller: AbortController | null = null;
  let workers: Promise<void> | null = null;
  const haven: TestHaven = {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    deps,
    app,
    config,
    startWorkers() {
      if (controller) return;
      controller = new AbortController();
      workers = runWorkers(deps, controller.signal);
    },
    async stopWorkers() {
      controller?.abort();
      await workers;
      controller = null;
      workers = null;
    },
    async createUser(name, opts = {}) {
      const created = await createAccount(database.db, {
        username: name,
        password: "correct horse battery",
        isAdmin: opts.admin ?? false,
      });
      if (!created.ok) throw new Error(created.error.message);
      const token = await issueToken(database.db, deps.tokens, created.value.account, {
        name: "test",
        ttlSeconds: 3600,
      });
      return { token: token.accessToken, accountId: created.value.account.id };
    },
    async close() {
      await haven.stopWorkers();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (options.workers !== false) haven.startWorkers();
  return haven;
}
