import { z } from "zod";

/**
 * The only module that reads `process.env`. Everything else receives the frozen
 * `Config` object built here, so tests can build one without touching globals.
 */

const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const booleanFlag = (name: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return false;
      const v = value.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      ctx.addIssue({
        code: "custom",
        message: `${name} must be true or false (got "${value}")`,
      });
      return z.NEVER;
    });

const envSchema = z.object({
  PORT: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return 3000;
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        ctx.addIssue({
          code: "custom",
          message: `PORT must be a whole number between 1 and 65535 (got "${value}")`,
        });
        return z.NEVER;
      }
      return port;
    }),
  HOST: z.string().optional(),
  PUBLIC_URL: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  DATA_DIR: z.string().optional(),
  SECRET_KEY: z.string().optional(),
  ALLOW_PRIVATE_ADDRESS: booleanFlag("ALLOW_PRIVATE_ADDRESS"),
  TRUST_PROXY: booleanFlag("TRUST_PROXY"),
  LOG_LEVEL: z.string().optional(),
  MAX_UPLOAD_BYTES: z.string().optional(),
  HAVEN_ROLE: z.string().optional(),
  DELIVERY_CONCURRENCY: z.string().optional(),
  WORKER_NICE: z.string().optional(),
  INSTANCE_NAME: z.string().optional(),
  INSTANCE_DESCRIPTION: z.string().optional(),
});

export type ProcessRole = "web" | "worker" | "all";

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: URL;
  /** `undefined` means the embedded PGlite database under `dataDir/db`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** `undefined` means: generate one and keep it in `dataDir/secret.key`. */
  readonly secretKey: string | undefined;
  readonly allowPrivateAddress: boolean;
  /**
   * Haven runs behind one reverse proxy that appends the client's address to
   * `X-Forwarded-For`; only then is that header believed (else any client
   * could pick its own address and escape per-address limits).
   */
  readonly trustProxy: boolean;
  readonly logLevel: LogLevel;
  readonly maxUploadBytes: number;
  readonly role: ProcessRole;
  readonly deliveryConcurrency: number;
  /** Scheduling niceness of a worker-only process (0 = as the web process). */
  readonly workerNice: number;
  /** What other servers and crawlers call this instance (NodeInfo `nodeName`). */
  readonly instanceName: string;
  /** One or two sentences about the instance (NodeInfo `nodeDescription`); "" = none. */
  readonly instanceDescription: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

function parsePositiveInt(
  name: string,
  value: string | undefined,
  fallback: number,
  problems: string[],
): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    problems.push(`${name} must be a positive whole number (got "${value}")`);
    return fallback;
  }
  return n;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(issue.message);
    throw new ConfigError(problems);
  }
  const e = parsed.data;

  let publicUrl: URL | undefined;
  const rawPublicUrl = e.PUBLIC_URL?.trim() || `http://localhost:${e.PORT}`;
  try {
    publicUrl = new URL(rawPublicUrl);
    if (publicUrl.protocol !== "http:" && publicUrl.protocol !== "https:") {
      problems.push(`PUBLIC_URL must start with http:// or https:// (got "${rawPublicUrl}")`);
    } else if (publicUrl.pathname !== "/" || publicUrl.search || publicUrl.hash) {
      problems.push(
        `PUBLIC_URL must be an origin without a path, e.g. https://haven.example (got "${rawPublicUrl}")`,
      );
    }
  } catch {
    problems.push(`PUBLIC_URL is not a valid URL (got "${rawPublicUrl}")`);
  }

  const databaseUrl = e.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(
      `DATABASE_URL must be a postgres:// or postgresql:// URL; leave it unset to use the embedded database`,
    );
  }

  const secretKey = e.SECRET_KEY?.trim() || undefined;
  if (secretKey !== undefined && secretKey.length < 32) {
    problems.push(
      "SECRET_KEY must be at least 32 characters long (try: openssl rand -hex 32), or unset to generate one",
    );
  }

  const logLevel = (e.LOG_LEVEL?.trim().toLowerCase() || "info") as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${e.LOG_LEVEL}")`);
  }

  const role = (e.HAVEN_ROLE?.trim().toLowerCase() || "all") as ProcessRole;
  if (!["web", "worker", "all"].includes(role)) {
    problems.push(`HAVEN_ROLE must be web, worker or all (got "${e.HAVEN_ROLE}")`);
  }

  const maxUploadBytes = parsePositiveInt(
    "MAX_UPLOAD_BYTES",
    e.MAX_UPLOAD_BYTES,
    200 * 1024 * 1024,
    problems,
  );
  // Sized from rate × remote latency (BENCHMARKS.md): at ~150 ms per remote,
  // 64 slots keep ~400 deliveries/s going, and a few dead hosts (held until
  // the 10 s delivery deadline) leave most slots free.
  const deliveryConcurrency = parsePositiveInt(
    "DELIVERY_CONCURRENCY",
    e.DELIVERY_CONCURRENCY,
    64,
    problems,
  );

  // A worker-only process yields the CPU to web processes on the same host:
  // queued work can wait a few milliseconds, a person's request should not.
  const workerNiceRaw = e.WORKER_NICE?.trim() ?? "";
  const workerNice = workerNiceRaw === "" ? 10 : Number(workerNiceRaw);
  if (!Number.isInteger(workerNice) || workerNice < 0 || workerNice > 19) {
    problems.push(`WORKER_NICE must be a whole number from 0 to 19 (got "${e.WORKER_NICE}")`);
  }

  const instanceName = e.INSTANCE_NAME?.trim() ?? "";
  if (instanceName.length > 100) {
    problems.push(`INSTANCE_NAME must be at most 100 characters (got ${instanceName.length})`);
  }
  const instanceDescription = e.INSTANCE_DESCRIPTION?.trim() ?? "";
  if (instanceDescription.length > 500) {
    problems.push(
      `INSTANCE_DESCRIPTION must be at most 500 characters (got ${instanceDescription.length})`,
    );
  }

  if (problems.length > 0 || publicUrl === undefined) throw new ConfigError(problems);

  return Object.freeze({
    port: e.PORT,
    host: e.HOST?.trim() || "0.0.0.0",
    publicUrl,
    databaseUrl,
    dataDir: e.DATA_DIR?.trim() || "./data",
    secretKey,
    allowPrivateAddress: e.ALLOW_PRIVATE_ADDRESS,
    trustProxy: e.TRUST_PROXY,
    logLevel,
    maxUploadBytes,
    role,
    deliveryConcurrency,
    workerNice,
    // Unset: the host name, which is what Mastodon and PeerTube show for an unnamed instance.
    instanceName: instanceName || publicUrl.host,
    instanceDescription,
  });
}
