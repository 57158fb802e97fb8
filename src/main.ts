import "./temporal.ts";
import { setPriority } from "node:os";
import { serve } from "@hono/node-server";
import { getLogger } from "@logtape/logtape";
import { createApp, createDeps, createHealthApp, outboundEvents, runWorkers } from "./app.ts";
import { parseArgs, UsageError } from "./cli/args.ts";
import { type CliIo, channelCommand, tokenCreate, USAGE, userCommand } from "./cli/commands.ts";
import { domainBlockCommand } from "./cli/domain-block.ts";
import { settingsCommand } from "./cli/settings.ts";
import { watchedWordCommand } from "./cli/watched-word.ts";
import { type Config, ConfigError, loadConfig, type ProcessRole } from "./config.ts";
import { EmbeddedDatabaseBusyError, openDatabase } from "./db/client.ts";
import { HTTP_SERVER_OPTIONS } from "./http/server.ts";
import { setupLogging } from "./logging.ts";

const BOOLEAN_FLAGS = new Set([
  "admin",
  "password-stdin",
  "apply",
  "yes",
  "obfuscate",
  "reject-media",
  "reject-reports",
  "exclude",
]);
const io: CliIo = { out: (line) => console.log(line), note: (line) => console.error(line) };

async function runServer(config: Config, role: ProcessRole): Promise<void> {
  const logger = getLogger(["haven"]);
  if (config.allowPrivateAddress) {
    logger.warn(
      "ALLOW_PRIVATE_ADDRESS is on: this server will fetch from and deliver to private addresses. Use it only for tests and local experiments.",
    );
  }
  if (role === "worker" && config.workerNice > 0) {
    // Lower only this process's priority (always permitted); see WORKER_NICE.
    try {
      setPriority(config.workerNice);
    } catch (error) {
      logger.warn("Could not lower the worker's priority: {error}", { error });
    }
  }
  const deps = await createDeps(config);
  const controller = new AbortController();
  // A worker-only process answers only /healthz (for the container health check).
  const app = role === "worker" ? createHealthApp(deps) : createApp(deps);
  const server = serve({
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    serverOptions: HTTP_SERVER_OPTIONS,
  });
  logger.info("Haven ({role}) listening on {host}:{port}, public URL {url}", {
    role,
    host: config.host,
    port: config.port,
    url: config.publicUrl.href,
  });
  const workers = role === "web" ? Promise.resolve() : runWorkers(deps, controller.signal);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("{signal}: finishing in-flight jobs and shutting down", { signal });
    controller.abort();
    server.close();
    await workers.catch(() => {});
    await deps.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

async function main(argv: string[]): Promise<number> {
  const config = loadConfig();
  await setupLogging(config.logLevel);
  const args = parseArgs(argv, BOOLEAN_FLAGS);
  const [command, sub] = args.positional;
  if (command === undefined || command === "serve") {
    const role = (args.flags.get("role") as ProcessRole | undefined) ?? config.role;
    if (!["web", "worker", "all"].includes(role))
      throw new UsageError("--role must be web, worker or all");
    await runServer(config, role);
    return -1; // keep running
  }
  if (command === "help" || command === "--help") {
    io.out(USAGE);
    return 0;
  }
  const database = await openDatabase(config);
  try {
    await database.migrate();
    if (command === "migrate") {
      io.out("migrations applied");
      return 0;
    }
    if (command === "user") return await userCommand(database, args, io);
    if (command === "token" && sub === "create")
      return await tokenCreate(config, database, args, io);
    if (command === "channel") return await channelCommand(database, args, io);
    if (command === "domain-block") return await domainBlockCommand(database, args, io);
    if (command === "settings") return await settingsCommand(database, outboundEvents(), args, io);
    if (command === "watched-word") return await watchedWordCommand(database, args, io);
    throw new UsageError(`unknown command: ${args.positional.join(" ")}`);
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    if (e instanceof ConfigError || e instanceof EmbeddedDatabaseBusyError) {
      console.error(e.message);
      process.exit(2);
    }
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n\n${USAGE}`);
      process.exit(64);
    }
    console.error(e);
    process.exit(1);
  },
);
