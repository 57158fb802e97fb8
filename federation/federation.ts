import {
  createExponentialBackoffPolicy,
  createFederation,
  type Federation,
  type KvStore,
  type MessageQueue,
  type RetryPolicy,
} from "@fedify/fedify";
import { findActorByHandle } from "../src/actors/actor.service.ts";
import { INSTANCE_ACTOR_HANDLE } from "../src/actors/handle.ts";
import type { Config } from "../src/config.ts";
import { ActorDocumentCache } from "./actor-documents.ts";
import { registerCollections } from "./collections.ts";
import type { HavenContext } from "./context.ts";
import type { DocumentLoaders } from "./document-loader.ts";
import { InboxFastPath } from "./http/inbox-fast-path.ts";
import { registerInboxListeners } from "./inbox/listeners.ts";
import { ActorKeyCache } from "./keys.ts";
import { registerPermanentFailureHandler } from "./outbound/permanent-failure.ts";
import { registerVideoObjects } from "./videos/video-objects.ts";

export interface FederationParts {
  config: Config;
  kv: KvStore;
  queues: { inbox: MessageQueue; outbox: MessageQueue; fanout: MessageQueue };
  /**
   * Our SSRF-safe loaders (src/net/safe-fetch.ts). Without them Fedify's own
   * fetch is used, with its `allowPrivateAddress` switch.
   */
  loaders?: DocumentLoaders;
  /** Skips Fedify's own signature verification (benchmarks only; never in production). */
  skipSignatureVerification?: boolean;
  /** Replaces DELIVERY_RETRY_POLICY (tests use seconds instead of hours). */
  outboxRetryPolicy?: RetryPolicy;
}

export const USER_AGENT = "Haven/0.1 (+https://github.com/haven-social/haven)";

/**
 * Retry deliveries for ≥ 48 h, as Mastodon does for ~2–3 days (SECURITY.md):
 * 30 s doubling to a 6 h ceiling, 20 attempts ≈ 68 h in all. Fedify's default
 * gives up after about half an hour.
 */
export const DELIVERY_RETRY_POLICY = createExponentialBackoffPolicy({
  maxAttempts: 20,
  initialDelay: { seconds: 30 },
  maxDelay: { hours: 6 },
  factor: 2,
  jitter: true,
});

export interface HavenFederation {
  federation: Federation<HavenContext>;
  actorDocuments: ActorDocumentCache;
  keys: ActorKeyCache;
  /** The delivery retry policy, shared by deliveries Fedify does not make itself. */
  outboxRetryPolicy: RetryPolicy;
  /**
   * Accepts plain signed inbox POSTs with keys the slow path verified (ADR
   * 0008); null when signatures are not verified at all (benchmarks only).
   */
  inboxFastPath: InboxFastPath | null;
}

export function createHavenFederation(parts: FederationParts): HavenFederation {
  const outboxRetryPolicy = parts.outboxRetryPolicy ?? DELIVERY_RETRY_POLICY;
  const federation = createFederation<HavenContext>({
    kv: parts.kv,
    queue: parts.queues,
    origin: parts.config.publicUrl.origin,
    manuallyStartQueue: true,
    firstKnock: "draft-cavage-http-signatures-12",
    outboxRetryPolicy,
    inboxRetryPolicy: createExponentialBackoffPolicy({ maxAttempts: 10, maxDelay: { hours: 1 } }),
    permanentFailureStatusCodes: [404, 410],
    // Fedify refuses `userAgent`/`allowPrivateAddress` beside custom loaders;
    // our fetcher carries both.
    ...(parts.loaders
      ? {
          documentLoaderFactory: parts.loaders.documentLoaderFactory,
          contextLoaderFactory: parts.loaders.contextLoaderFactory,
          authenticatedDocumentLoaderFactory: parts.loaders.authenticatedDocumentLoaderFactory,
        }
      : { allowPrivateAddress: parts.config.allowPrivateAddress, userAgent: USER_AGENT }),
    skipSignatureVerification: parts.skipSignatureVerification ?? false,
  });
  const actorDocuments = new ActorDocumentCache();
  const keys = new ActorKeyCache();

  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      const actor = await findActorByHandle(ctx.data.db, identifier);
      if (!actor) return null;
      return actorDocuments.get(ctx, actor);
    })
    .setKeyPairsDispatcher((ctx, identifier) => keys.get(ctx.data.db, identifier))
    .mapHandle(async (ctx, username) => {
      const actor = await findActorByHandle(ctx.data.db, username);
      return actor ? actor.handle : null;
    });

  registerCollections(federation);
  registerPermanentFailureHandler(federation);
  registerVideoObjects(federation);
  registerInboxListeners(federation).setSharedKeyDispatcher(() => ({
    identifier: INSTANCE_ACTOR_HANDLE,
  }));

  const inboxFastPath = parts.skipSignatureVerification
    ? null
    : new InboxFastPath({ queue: parts.queues.inbox, kv: parts.kv });

  return { federation, actorDocuments, keys, outboxRetryPolicy, inboxFastPath };
}
