import type { CircuitBreaker, MessageQueue, RetryPolicy } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { eq } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { remoteActors } from "../../src/db/schema/index.ts";
import type { SafeFetch } from "../../src/net/safe-fetch.ts";
import { SafeFetchError } from "../../src/net/safe-fetch-error.ts";
import type { ActorKeyCache } from "../keys.ts";
import {
  type DeliveryMessage,
  type DeliveryTarget,
  enqueuePayload,
  isDeliveryMessage,
  isLegacyRawMessage,
  loadPayload,
  type Payload,
  sweepPayloads,
} from "./delivery-payloads.ts";
import { type PreparedBody, prepareBody, signedPostHeaders } from "./draft-cavage.ts";
import { Permits } from "./permits.ts";
import { parseRetryAfterMs } from "./retry-after.ts";

const logger = getLogger(["haven", "delivery"]);

const ACTIVITY_JSON = "application/activity+json";
const PERMANENT_FAILURES = new Set([404, 410]);
/** Payloads kept parsed in memory; a fan-out needs one at a time. */
const PAYLOAD_CACHE_SIZE = 64;
/**
 * A delivery still unanswered after this long stops counting against the
 * concurrency: it only waits on a socket (until its deadline), costing no
 * CPU, so it must not keep a healthy host's delivery waiting ("a dead
 * remote never blocks the rest"). Remotes normally answer within a few
 * hundred milliseconds.
 */
export const SLOW_AFTER_MS = 1_000;

export interface DeliveriesOptions {
  readonly db: Db;
  /** The guarded queue (moderation + destination checks) on DELIVERY_QUEUE. */
  readonly queue: MessageQueue;
  /**
   * The bare safe fetcher: the guard has already asked the moderation policy
   * about the inbox, and no redirect is followed, so there is no other hop.
   */
  readonly safeFetch: SafeFetch;
  readonly keys: ActorKeyCache;
  /** The same policy as Fedify's own deliveries (≥ 48 h in production). */
  readonly retryPolicy: RetryPolicy;
  /** Fedify's circuit breaker on Fedify's KV prefix: one state per host for both paths. */
  readonly circuit: CircuitBreaker | null;
  /** Per request, body included (SECURITY.md "Bounds": ≈ 10 s). */
  readonly deadlineMs: number;
  /**
   * Deliveries worked on at once (DELIVERY_CONCURRENCY). Those waiting on a
   * slow remote for over SLOW_AFTER_MS step aside; give the queue room for
   * them (twice this).
   */
  readonly concurrency: number;
  /** How often payloads nobody needs any more are deleted. */
  readonly sweepIntervalMs?: number;
}

interface Prepared {
  readonly payload: Payload;
  readonly body: PreparedBody;
}

type Outcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly status: number | null;
      readonly retryAfterMs: number | null;
      readonly failure: string;
      /** Refused by the address policy: retrying cannot help. */
      readonly refused: boolean;
    };

/**
 * Haven's own delivery path (ADR 0009): every activity is serialised once
 * (by Fedify, or by us for the raw `Update{Video}`), stored once as a
 * payload, and posted to each inbox from a small queued row — signed
 * draft-cavage with the sender's cached key, through the SSRF-safe fetcher,
 * with a deadline per request. Same rules as Fedify's outbox: the retry
 * policy (≥ 48 h, `Retry-After` honoured), 404/410 final and a 410 forgets
 * the follower, Fedify's circuit breaker per remote host, and moderation
 * checked at send time by the `GuardedOutboxQueue` around `queue`.
 */
export class Deliveries {
  readonly #o: DeliveriesOptions;
  readonly #payloads = new Map<string, Promise<Prepared | null>>();
  readonly #active: Permits;

  constructor(options: DeliveriesOptions) {
    this.#o = options;
    this.#active = new Permits(options.concurrency);
  }

  /** Stores `payload` once and queues one delivery per target, atomically. */
  enqueue(payload: Payload, targets: readonly DeliveryTarget[]): Promise<void> {
    return enqueuePayload(this.#o.db, payload, targets);
  }

  /** Deletes payloads no queued delivery needs any more. */
  sweep(): Promise<number> {
    return sweepPayloads(this.#o.db);
  }

  /** Runs the worker (and the payload sweep) until `signal` aborts. */
  async listen(signal: AbortSignal): Promise<void> {
    const sweep = () =>
      this.sweep().catch((error) => logger.warn("Payload sweep failed: {error}", { error }));
    const timer = setInterval(sweep, this.#o.sweepIntervalMs ?? 60_000);
    try {
      await this.#o.queue.listen(
        async (message) => {
          if (isLegacyRawMessage(message)) {
            // Queued before payloads existed (body inline): store it the new way.
            const { body, sender, keyId, activityId, activityType, started, attempt } = message;
            await enqueuePayload(
              this.#o.db,
              { activityId, activityType, sender, keyId, body },
              [{ inbox: message.inbox, actorIds: message.actorIds }],
              { started, attempt },
            );
            return;
          }
          if (!isDeliveryMessage(message)) {
            logger.error("Dropped a malformed delivery message");
            return;
          }
          const release = await this.#active.acquire();
          try {
            // Claimed but not begun: back to the queue for the next worker.
            if (signal.aborted) throw new Error("Worker stopping before the delivery began");
            await this.deliver(message, release);
          } finally {
            release();
          }
        },
        { signal },
      );
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * One attempt; schedules the next one itself on a temporary failure.
   * `stepAside` gives the concurrency permit back once the remote is slow.
   */
  async deliver(message: DeliveryMessage, stepAside: () => void = () => {}): Promise<void> {
    const prepared = await this.#payload(message.payload);
    if (!prepared) {
      logger.error("Dropped a delivery to {inbox}: payload {payload} is gone", {
        inbox: message.inbox,
        payload: message.payload,
      });
      return;
    }
    const { activityId } = prepared.payload;
    const host = new URL(message.inbox).host;
    const circuit = this.#o.circuit;
    const before = await circuit?.beforeSend(host, message).catch((error) => {
      logger.error("Circuit breaker check failed; sending anyway: {error}", { error });
      return undefined;
    });
    if (before?.type === "hold") {
      await this.#requeue(
        { ...message, circuitHeldSince: before.heldSince.toString() },
        before.delay,
      );
      return;
    }
    if (before?.type === "drop") {
      logger.warn("Gave up {activityId} to {inbox}: its host was unreachable for too long", {
        activityId,
        inbox: message.inbox,
      });
      return;
    }
    const slow = setTimeout(stepAside, SLOW_AFTER_MS);
    const outcome = await this.#post(message, prepared).finally(() => clearTimeout(slow));
    if (outcome.ok) {
      await circuit?.recordSuccess(host).catch(() => undefined);
      return;
    }
    const { status, failure } = outcome;
    const context = { activityId, inbox: message.inbox, failure };
    const permanent = status !== null && PERMANENT_FAILURES.has(status);
    // As Fedify counts them: an answer below 500 means the host is reachable.
    await (status !== null && status < 500
      ? circuit?.recordReachableFailure(host)
      : circuit?.recordFailure(host)
    )?.catch(() => undefined);
    if (permanent) {
      logger.warn("Gave up {activityId} to {inbox}: {failure}", context);
      if (status === 410) await this.#forgetGoneInbox(message.inbox);
      return;
    }
    if (outcome.refused) {
      logger.warn("Gave up {activityId} to {inbox}: {failure}", context);
      return;
    }
    const policy = this.#o.retryPolicy({
      elapsedTime: Temporal.Instant.from(message.started).until(Temporal.Now.instant()),
      attempts: message.attempt,
    });
    if (policy === null) {
      // As the other give-ups: the remote's problem, nothing for this operator to fix.
      logger.warn("Gave up {activityId} to {inbox} after {attempts} attempts: {failure}", {
        ...context,
        attempts: message.attempt + 1,
      });
      return;
    }
    const retryAfter = Temporal.Duration.from({ milliseconds: outcome.retryAfterMs ?? 0 });
    let delay = Temporal.Duration.compare(policy, retryAfter) >= 0 ? policy : retryAfter;
    let next: DeliveryMessage = { ...message, attempt: message.attempt + 1 };
    // A host whose circuit just opened: hold until the breaker's probe time.
    const after = await circuit?.beforeSend(host, message).catch(() => undefined);
    if (after?.type === "drop") return;
    if (after?.type === "hold" && circuit) {
      const longer =
        Temporal.Duration.compare(after.delay, retryAfter) >= 0 ? after.delay : retryAfter;
      delay = circuit.capHeldDelay(after.heldSince, longer);
      next = { ...next, circuitHeldSince: after.heldSince.toString() };
    }
    logger.info("Delivery of {activityId} to {inbox} failed ({failure}); retry in {delay}", {
      ...context,
      delay: delay.toString(),
    });
    await this.#requeue(next, delay);
  }

  #requeue(message: DeliveryMessage, delay: Temporal.Duration): Promise<void> {
    const ms = Math.max(0, Math.round(delay.total("millisecond")));
    return this.#o.queue.enqueue(message, { delay: Temporal.Duration.from({ milliseconds: ms }) });
  }

  async #post(message: DeliveryMessage, prepared: Prepared): Promise<Outcome> {
    const { sender, keyId } = prepared.payload;
    try {
      const pairs = await this.#o.keys.get(this.#o.db, sender);
      const rsa = pairs.find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
      if (!rsa) throw new Error(`no RSA key for ${sender}`);
      const url = new URL(message.inbox);
      const headers = await signedPostHeaders(url, prepared.body, ACTIVITY_JSON, {
        keyId,
        privateKey: rsa.privateKey,
      });
      const { response } = await this.#o.safeFetch(url, {
        method: "POST",
        headers: { ...headers, accept: ACTIVITY_JSON },
        body: prepared.body.bytes,
        // An inbox that redirects a POST is misconfigured; never re-post elsewhere.
        maxRedirects: 0,
        timeoutMs: this.#o.deadlineMs,
      });
      const { status } = response;
      if (status >= 200 && status < 300) return { ok: true };
      return {
        ok: false,
        status,
        retryAfterMs: parseRetryAfterMs(response.headers.get("retry-after")),
        failure: `HTTP ${status}`,
        refused: false,
      };
    } catch (error) {
      const failure = error instanceof Error ? error.message : String(error);
      // An address that became private since it was queued is refused for good.
      const refused =
        error instanceof SafeFetchError &&
        (error.code === "private-address" || error.code === "scheme");
      return { ok: false, status: null, retryAfterMs: null, failure, refused };
    }
  }

  #payload(id: string): Promise<Prepared | null> {
    let entry = this.#payloads.get(id);
    if (!entry) {
      entry = loadPayload(this.#o.db, id).then((p) =>
        p ? { payload: p, body: prepareBody(p.body) } : null,
      );
      entry.catch(() => this.#payloads.delete(id));
      if (this.#payloads.size >= PAYLOAD_CACHE_SIZE) {
        const oldest = this.#payloads.keys().next().value;
        if (oldest !== undefined) this.#payloads.delete(oldest);
      }
      this.#payloads.set(id, entry);
    }
    return entry;
  }

  /** A personal inbox answering 410 means the account is gone (Mastodon does the same). */
  async #forgetGoneInbox(inbox: string): Promise<void> {
    await this.#o.db.delete(remoteActors).where(eq(remoteActors.inboxUrl, inbox));
  }
}
