import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type Federation,
  type KvStore,
  type MessageQueue,
  type RetryPolicy,
} from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { type Context, Hono } from "hono";
import type { HavenContext, ModerationGate } from "../federation/context.ts";
import { createDocumentLoaders } from "../federation/document-loader.ts";
import {
  createHavenFederation,
  type HavenFederation,
  USER_AGENT,
} from "../federation/federation.ts";
import { ActorFastPath } from "../federation/http/actor-fast-path.ts";
import { federationMiddleware } from "../federation/http/middleware.ts";
import { refuseSuspendedHosts } from "../federation/moderation/refuse-suspended-hosts.ts";
import {
  type ModerationRuntime,
  startModerationRuntime,
} from "../federation/moderation/runtime.ts";
import { createNodeInfoHandler } from "../federation/nodeinfo.ts";
import { Deliveries } from "../federation/outbound/deliveries.ts";
import { GuardedOutboxQueue } from "../federation/outbound/delivery-guard.ts";
import { DELIVERY_QUEUE } from "../federation/outbound/delivery-payloads.ts";
import {
  DEFAULT_FETCH_DEADLINE_MS,
  installFetchDeadline,
} from "../federation/outbound/fetch-deadline.ts";
import { PayloadOutboxQueue } from "../federation/outbound/payload-outbox.ts";
import { createOutboundPublisher } from "../federation/outbound/publisher.ts";
import { createReportForwarding } from "../federation/outbound/report-forward.ts";
import { createRemoteAccountResolver } from "../federation/remote-accounts.ts";
import { createReplyApprovals } from "../federation/replies/reply-approval.ts";
import { CachedKvStore, FEDIFY_CACHEABLE_PREFIXES } from "../federation/storage/cached-kv-store.ts";
import {
  enqueueInTransaction,
  PostgresKvStore,
  PostgresMessageQueue,
} from "../federation/storage/index.ts";
import { createVideoPublishing } from "../federation/videos/video-publisher.ts";
import type { TokenSettings } from "./accounts/token.service.ts";
import { ensureInstanceActor } from "./actors/actor.service.ts";
import type { Config } from "./config.ts";
import { type Database, openDatabase, pingDatabase } from "./db/client.ts";
import type { OutboundEvent, OutboundEvents } from "./events/outbound.ts";
import { adminRoutes } from "./http/api/admin/admin.routes.ts";
import type { AdminModeration } from "./http/api/admin/deps.ts";
import { authRoutes } from "./http/api/auth.routes.ts";
import { channelSafetyRoutes } from "./http/api/channel-safety.routes.ts";
import { channelRoutes } from "./http/api/channels.routes.ts";
import { commentRoutes } from "./http/api/comments.routes.ts";
import { instanceRoutes } from "./http/api/instance.routes.ts";
import { publicReportRoutes } from "./http/api/public-reports.routes.ts";
import { reportRoutes } from "./http/api/reports.routes.ts";
import { uploadRoutes } from "./http/api/uploads.routes.ts";
import { channelVideosHandler, videoRoutes } from "./http/api/videos.routes.ts";
import type { HttpDeps } from "./http/deps.ts";
import { mediaRoutes } from "./http/media/media-routes.ts";
import { requestLog } from "./http/request-log.ts";
import { installWebSessions } from "./http/session/install.ts";
import { adminPageRoutes } from "./http/web/admin.tsx";
import { helpRoutes } from "./http/web/help.tsx";
import { loginRoutes } from "./http/web/login.tsx";
import { moderationRoutes } from "./http/web/moderation.tsx";
import { webRoutes } from "./http/web/pages.tsx";
import { reportPageRoutes } from "./http/web/report.tsx";
import { watchRoutes } from "./http/web/watch.tsx";
import type { BackgroundJob, BackgroundJobs } from "./jobs/jobs.ts";
import { LocalMediaStorage } from "./media/storage.ts";
import { exemptList, systemResolveHost } from "./net/destination.ts";
import { createSafeFetch, type SafeFetch } from "./net/safe-fetch.ts";
import { sendReportWebhook } from "./reports/webhook.ts";
import { deriveKey, loadSecret } from "./secret.ts";
import { sweepExpiredUploads } from "./uploads/upload.service.ts";
import { REMOTE_MEDIA_LIMIT_BYTES } from "./videos/video-files.ts";
import { processVideo } from "./videos/video-processing.ts";

export const EVENTS_QUEUE = "events";
/** CPU-heavy media work, one job at a time per worker process. */
export const MEDIA_QUEUE = "media";
/** Notices to moderators (the report webhook): small, urgent, never behind a transcode. */
export const NOTIFY_QUEUE = "notify";

/** Records outbound events on the durable events queue (also for CLI commands). */
export function outboundEvents(): OutboundEvents {
  return {
    record: (tx, event) =>
      enqueueInTransaction(tx, EVENTS_QUEUE, { id: randomUUID(), event } satisfies EventMessage),
  };
}

interface EventMessage {
  id: string;
  event: OutboundEvent;
}

/** Everything a Haven process runs on, built once from the config. */
export interface Deps extends HttpDeps {
  readonly kv: KvStore;
  readonly queues: {
    inbox: MessageQueue;
    outbox: MessageQueue;
    fanout: MessageQueue;
    events: PostgresMessageQueue;
    media: PostgresMessageQueue;
    notify: PostgresMessageQueue;
  };
  /** Serves cached actor documents before Fedify; null serves them all through Fedify. */
  readonly actorFastPath: ActorFastPath | null;
  /** Haven's own delivery path, which Fedify's outbox messages are turned into (ADR 0009). */
  readonly deliveries: Deliveries;
  readonly fed: HavenFederation;
  readonly federation: Federation<HavenContext>;
  readonly contextData: HavenContext;
  readonly moderation: ModerationGate;
  /** The cached federation policy, authorized-fetch setting, purge after changes, list sync. */
  readonly moderationRuntime: ModerationRuntime;
  /** The admin API's view of it. */
  readonly moderationAdmin: AdminModeration;
  /**
   * The one way to fetch remote URLs (SSRF checks, deadline, size cap), and
   * never from a domain the federation policy rejects.
   */
  readonly safeFetch: SafeFetch;
  /** Processed videos over this get a compact rendition for posts (video-files.ts). */
  readonly remoteMediaLimitBytes: number;
  close(): Promise<void>;
}

export interface DepsOverrides {
  database?: Database;
  moderation?: ModerationGate;
  /** Delivery retry policy (tests: seconds instead of the ≥ 48 h default). */
  outboxRetryPolicy?: RetryPolicy;
  /** Deadline of every delivery and every global `fetch` (default 10 s). */
  fetchDeadlineMs?: number;
  /** How often unneeded delivery payloads are deleted (default a minute). */
  payloadSweepIntervalMs?: number;
  /** Our deliveries' circuit breaker (tests: seconds instead of Fedify's 30 min recovery). */
  circuitBreaker?: CircuitBreakerOptions;
  /** Files over this get a compact rendition for posts (tests: a few hundred kB). */
  remoteMediaLimitBytes?: number;
}

export async function createDeps(config: Config, overrides: DepsOverrides = {}): Promise<Deps> {
  // Fedify delivers with the global fetch and no timeout (ADR 0002).
  installFetchDeadline(overrides.fetchDeadlineMs);
  const database = overrides.database ?? (await openDatabase(config));
  try {
    await database.migrate();
    await ensureInstanceActor(database.db);
  } catch (e) {
    if (!overrides.database) await database.close();
    throw e;
  }
  const secret = loadSecret(config);
  const tokens: TokenSettings = {
    key: await deriveKey(secret, "api-token"),
    issuer: config.publicUrl.origin,
  };
  const safeFetch = createSafeFetch({
    allowPrivateAddress: config.allowPrivateAddress,
    userAgent: USER_AGENT,
  });
  // The one federation policy (cached, reloaded on NOTIFY): inbox, delivery,
  // fetch authorization and document loading all consult it.
  const moderationRuntime = await startModerationRuntime({
    db: database.db,
    notifier: database.notifier,
    localDomain: config.publicUrl.hostname,
    safeFetch,
  });
  const moderation = overrides.moderation ?? moderationRuntime.policy;
  const events = outboundEvents();
  const jobs: BackgroundJobs = {
    enqueue: (tx, job) =>
      enqueueInTransaction(tx, job.type === "report.notify" ? NOTIFY_QUEUE : MEDIA_QUEUE, job),
  };
  const dataDir = resolve(config.dataDir);
  const stagingDir = join(dataDir, "staging");
  mkdirSync(stagingDir, { recursive: true });
  const storage = new LocalMediaStorage(join(dataDir, "media"));
  const kv = new PostgresKvStore(database);
  const concurrency = config.deliveryConcurrency;
  // Checked when a delivery is about to go, not when it was queued (ADR 0002, 0007).
  const guard = {
    moderation,
    destinations: {
      allowPrivateAddress: config.allowPrivateAddress,
      resolve: systemResolveHost,
      exempt: exemptList(),
    },
  };
  // Fedify serialises and signs each activity once; its per-inbox outbox
  // messages become one stored payload plus small rows (ADR 0009). Messages
  // it cannot take stay on Fedify's own outbox worker.
  let senderOf: (keyId: string) => string | null = () => null;
  const queues = {
    inbox: new PostgresMessageQueue(database, { queue: "inbox", concurrency: 16 }),
    outbox: new PayloadOutboxQueue(
      new GuardedOutboxQueue(
        new PostgresMessageQueue(database, { queue: "outbox", concurrency }),
        guard,
      ),
      { db: database.db, senderOf: (keyId) => senderOf(keyId) },
    ),
    fanout: new PostgresMessageQueue(database, { queue: "fanout", concurrency: 4 }),
    events: new PostgresMessageQueue(database, { queue: EVENTS_QUEUE, concurrency: 8 }),
    // Transcoding can take minutes: a long lease, renewed while ffmpeg runs.
    media: new PostgresMessageQueue(database, {
      queue: MEDIA_QUEUE,
      concurrency: 1,
      leaseMs: 120_000,
      maxAttempts: 5,
    }),
    // The default backoff (1 s, 2 s, 4 s … capped at 10 min): 12 attempts
    // keep trying a down webhook for about half an hour.
    notify: new PostgresMessageQueue(database, {
      queue: NOTIFY_QUEUE,
      concurrency: 4,
      maxAttempts: 12,
    }),
  };
  // Nothing federation-related is ever fetched from a domain the policy
  // rejects (every redirect hop checked): documents, keys, NodeInfo, deliveries.
  const federationFetch = refuseSuspendedHosts(safeFetch, moderation);
  const loaders = createDocumentLoaders({ safeFetch: federationFetch, cache: { kv } });
  // Circuit-breaker state and signature-spec memory, read on every delivery.
  const fedifyKv = new CachedKvStore(kv, { prefixes: FEDIFY_CACHEABLE_PREFIXES });
  const fed = createHavenFederation({
    config,
    kv: fedifyKv,
    queues,
    loaders,
    ...(overrides.outboxRetryPolicy ? { outboxRetryPolicy: overrides.outboxRetryPolicy } : {}),
  });
  const deliveries = new Deliveries({
    db: database.db,
    queue: new GuardedOutboxQueue(
      // Room for as many waiting on slow remotes as are being worked on.
      new PostgresMessageQueue(database, { queue: DELIVERY_QUEUE, concurrency: 2 * concurrency }),
      guard,
    ),
    // Moderation is asked by the guard and no redirect is followed: the bare fetcher.
    safeFetch,
    keys: fed.keys,
    retryPolicy: fed.outboxRetryPolicy,
    // Fedify's own breaker on Fedify's KV prefix: one state per host for both paths.
    circuit: new CircuitBreaker({
      kv: fedifyKv,
      prefix: ["_fedify", "circuit"],
      ...(overrides.circuitBreaker ? { options: overrides.circuitBreaker } : {}),
    }),
    deadlineMs: overrides.fetchDeadlineMs ?? DEFAULT_FETCH_DEADLINE_MS,
    concurrency,
    ...(overrides.payloadSweepIntervalMs
      ? { sweepIntervalMs: overrides.payloadSweepIntervalMs }
      : {}),
  });
  const contextData: HavenContext = { db: database.db, config, events, moderation };
  // Request-independent: ids are built from PUBLIC_URL, never from the request.
  const canonical = fed.federation.createContext(new URL(config.publicUrl.origin), contextData);
  senderOf = (keyId) => {
    let url: URL;
    try {
      url = new URL(keyId);
    } catch {
      return null;
    }
    if (url.origin !== config.publicUrl.origin) return null;
    const route = canonical.parseUri(url);
    return route?.type === "actor" ? route.identifier : null;
  };
  return {
    config,
    database,
    tokens,
    events,
    jobs,
    storage,
    stagingDir,
    kv,
    queues,
    deliveries,
    fed,
    actorFastPath: new ActorFastPath({
      documents: fed.actorDocuments,
      db: database.db,
      context: canonical,
    }),
    federation: fed.federation,
    contextData,
    moderation,
    moderationRuntime,
    moderationAdmin: moderationRuntime,
    safeFetch: federationFetch,
    remoteAccounts: createRemoteAccountResolver(canonical, federationFetch, {
      allowPlainHttp: config.allowPrivateAddress,
    }),
    remoteMediaLimitBytes: overrides.remoteMediaLimitBytes ?? REMOTE_MEDIA_LIMIT_BYTES,
    close: async () => {
      await moderationRuntime.close();
      safeFetch.close();
      await database.close();
    },
  };
}

/** `/healthz` alone: what a worker-only process serves, for container health checks. */
export function createHealthApp(deps: Pick<Deps, "database">): Hono {
  const app = new Hono();
  app.get("/healthz", async (c) => {
    const database = await pingDatabase(deps.database.db);
    return c.json(
      { status: database ? "ok" : "unavailable", database: database ? "ok" : "unreachable" },
      database ? 200 : 503,
    );
  });
  return app;
}

/**
 * Sets a header on the response itself. `c.header()` after `next()` rebuilds
 * the response around a stream body, which takes @hono/node-server off its
 * fast path: a small JSON answer then costs about 3× the CPU, and a bare
 * Hono app serves 7× fewer per second (bench/, S5/S6). Immutable headers (a fetched or
 * `Response.redirect()` response) fall back to `c.header()`.
 */
function setResponseHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

/** The web process: HTTP API, web pages and the ActivityPub endpoints. */
export function createApp(deps: Deps): Hono {
  const app = new Hono();
  app.use("*", requestLog());
  app.use("*", async (c, next) => {
    await next();
    setResponseHeader(c, "X-Content-Type-Options", "nosniff");
    setResponseHeader(c, "Referrer-Policy", "same-origin");
  });
  app.route("/", createHealthApp(deps));
  // Before Fedify's middleware, which would answer these paths itself (one version only).
  const nodeInfo = createNodeInfoHandler(deps.contextData);
  app.on(
    ["GET", "HEAD", "OPTIONS"],
    ["/.well-known/nodeinfo", "/nodeinfo/:version"],
    async (c, next) => {
      const answer = await nodeInfo(c.req.raw);
      if (answer) return answer;
      await next();
    },
  );
  app.use(
    "*",
    federationMiddleware(deps.federation, deps.contextData, {
      authorizedFetch: () => deps.moderationRuntime.authorizedFetch(),
      ...(deps.fed.inboxFastPath ? { inboxFastPath: deps.fed.inboxFastPath } : {}),
      ...(deps.actorFastPath ? { actorFastPath: deps.actorFastPath } : {}),
    }),
  );
  // Browser sessions, the cross-site POST guard and the pages' CSP (not for federation traffic).
  installWebSessions(app, deps);
  app.route("/api/v1/auth", authRoutes(deps));
  app.route("/api/v1/admin", adminRoutes(deps));
  app.route("/api/v1/instance", instanceRoutes(deps));
  app.get("/api/v1/channels/:name/videos", channelVideosHandler(deps));
  app.route("/api/v1/channels", channelRoutes(deps));
  app.route("/api/v1/channels", channelSafetyRoutes(deps));
  app.route("/api/v1/videos", videoRoutes(deps));
  app.route("/api/v1", commentRoutes(deps));
  app.route("/api/v1/admin/reports", reportRoutes(deps));
  app.route("/api/v1/reports", publicReportRoutes(deps));
  app.route("/api/v1/uploads", uploadRoutes(deps));
  app.route("/", mediaRoutes(deps.storage, deps.database.db));
  app.route("/", loginRoutes(deps) as never);
  app.route("/", moderationRoutes(deps) as never);
  app.route("/", adminPageRoutes(deps) as never);
  app.route("/", watchRoutes(deps));
  app.route("/", helpRoutes(deps));
  app.route("/", reportPageRoutes(deps));
  app.route("/", webRoutes(deps));
  app.notFound((c) =>
    c.req.path.startsWith("/api/") ? c.json({ error: "Not found" }, 404) : c.text("Not found", 404),
  );
  app.onError((error, c) => {
    getLogger(["haven", "http"]).error("{method} {path} failed: {error}", {
      method: c.req.method,
      path: c.req.path,
      error,
    });
    return c.json({ error: "Internal server error" }, 500);
  });
  return app;
}

/**
 * The worker side: Fedify's inbox/outbox/fanout queues and our event queue.
 * Resolves when `signal` aborts and in-flight jobs have finished.
 */
export async function runWorkers(deps: Deps, signal: AbortSignal): Promise<void> {
  const videos = createVideoPublishing(deps);
  const publish = createOutboundPublisher(
    deps.federation,
    deps.contextData,
    deps.fed.actorDocuments,
    {
      ...videos.handlers,
      "report.forwarded": createReportForwarding(deps.federation, deps.contextData),
      "comment.moderated": createReplyApprovals(deps.federation, deps.contextData, videos.software),
    },
  );
  const logger = getLogger(["haven", "media"]);
  const notifyLogger = getLogger(["haven", "reports"]);
  const processing = {
    db: deps.database.db,
    events: deps.events,
    storage: deps.storage,
    workDir: deps.stagingDir,
    remoteMediaLimitBytes: deps.remoteMediaLimitBytes,
    log: (message: string, props: Record<string, unknown>) => logger.warn(message, props),
  };
  sweepExpiredUploads(deps.database.db, signal, {
    onError: (error) => logger.warn("Cleaning expired uploads failed: {error}", { error }),
  });
  await Promise.all([
    deps.federation.startQueue(deps.contextData, { signal }),
    // Shared blocklists: due subscriptions synced every minute, what they suspend purged.
    deps.moderationRuntime.runSubscriptionSync(signal),
    deps.deliveries.listen(signal),
    deps.queues.media.listen(
      async (message) => {
        const job = message as BackgroundJob;
        if (job.type === "video.process") await processVideo(processing, job);
      },
      { signal },
    ),
    deps.queues.notify.listen(
      async (message) => {
        const job = message as BackgroundJob;
        if (job.type !== "report.notify") return;
        const outcome = await sendReportWebhook(
          deps.database.db,
          deps.safeFetch,
          deps.config.publicUrl.origin,
          job.reportId,
        );
        if (outcome === "refused") {
          notifyLogger.warn("The report webhook refused report {reportId}", job);
        }
      },
      { signal },
    ),
    deps.queues.events.listen(
      async (message) => {
        const m = message as EventMessage;
        await publish(m.event, m.id);
      },
      { signal },
    ),
  ]);
}
