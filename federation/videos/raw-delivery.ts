import type { MessageQueue, RetryPolicy } from "@fedify/fedify";
import { signRequest } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { eq } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { remoteActors } from "../../src/db/schema/index.ts";
import type { SafeFetch } from "../../src/net/safe-fetch.ts";
import type { ActorKeyCache } from "../keys.ts";

const logger = getLogger(["haven", "delivery", "raw"]);

/** Logical queue in `fedify_messages` for activities posted byte-for-byte. */
export const RAW_OUTBOX_QUEUE = "raw-outbox";

const ACTIVITY_JSON = "application/activity+json";
const PERMANENT_FAILURES = new Set([404, 410]);
const DELIVERY_TIMEOUT_MS = 30_000;
/** A remote may ask us to wait, but not forever. */
const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/**
 * One POST of a pre-serialised activity to one inbox. Shaped like Fedify's
 * outbox messages (`type: "outbox"`, `inbox`, `actorIds`) so that
 * `GuardedOutboxQueue` applies the same moderation and private-address
 * checks at send time. Carries no key material: the worker loads the
 * sender's key by handle.
 */
export interface RawDeliveryMessage {
  readonly type: "outbox";
  readonly kind: "raw";
  readonly activityId: string;
  readonly activityType: string;
  readonly inbox: string;
  /** The recipients behind this inbox (moderation drops it when all are blocked). */
  readonly actorIds: readonly string[];
  /** Handle of the local actor whose RSA key signs the request. */
  readonly sender: string;
  readonly keyId: string;
  /** The exact body to post; it is never re-serialised. */
  readonly body: string;
  /** ISO instant of the first attempt, for the retry policy's elapsed time. */
  readonly started: string;
  /** Failed attempts so far (0 on the first try), as Fedify counts them. */
  readonly attempt: number;
}

export interface RawDeliveryOptions {
  readonly db: Db;
  /** The guarded queue (moderation + destination checks) on RAW_OUTBOX_QUEUE. */
  readonly queue: MessageQueue;
  readonly safeFetch: SafeFetch;
  readonly keys: ActorKeyCache;
  /** The same policy as Fedify's own deliveries (≥ 48 h in production). */
  readonly retryPolicy: RetryPolicy;
}

export function isRawDeliveryMessage(message: unknown): message is RawDeliveryMessage {
  const m = message as Partial<RawDeliveryMessage> | null;
  return (
    typeof m === "object" &&
    m !== null &&
    m.kind === "raw" &&
    typeof m.inbox === "string" &&
    typeof m.body === "string" &&
    typeof m.sender === "string" &&
    typeof m.keyId === "string"
  );
}

/**
 * Posts activities whose JSON must reach the remote exactly as built — the
 * `Update{Video}` with PeerTube's extension terms, which Fedify's vocabulary
 * would strip (STACK-NOTES.md). Signed with Fedify's own draft-cavage signer
 * (`(request-target)`, `host`, `date`, `digest` and the other headers sent),
 * which PeerTube requires. Same durability as Fedify's outbox: the message
 * stays in the table until the POST succeeded or failed for good; failures
 * are re-enqueued with the retry policy's delay (or `Retry-After`).
 */
export class RawDelivery {
  readonly #o: RawDeliveryOptions;

  constructor(options: RawDeliveryOptions) {
    this.#o = options;
  }

  enqueue(messages: readonly RawDeliveryMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const queue = this.#o.queue;
    return queue.enqueueMany
      ? queue.enqueueMany(messages)
      : Promise.all(messages.map((m) => queue.enqueue(m))).then(() => {});
  }

  /** Runs the worker until `signal` aborts. */
  listen(signal: AbortSignal): Promise<void> {
    return this.#o.queue.listen(
      async (message) => {
        if (!isRawDeliveryMessage(message)) {
          logger.error("Dropped a malformed raw delivery message");
          return;
        }
        await this.deliver(message);
      },
      { signal },
    );
  }

  /** One attempt; schedules the next one itself on a temporary failure. */
  async deliver(message: RawDeliveryMessage): Promise<void> {
    let status: number | null = null;
    let retryAfterMs: number | null = null;
    let failure: string;
    try {
      const response = await this.#post(message);
      status = response.status;
      if (status >= 200 && status < 300) return;
      retryAfterMs = parseRetryAfterMs(response.headers.get("retry-after"));
      failure = `HTTP ${status}`;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    const context = { activityId: message.activityId, inbox: message.inbox, failure };
    if (status !== null && PERMANENT_FAILURES.has(status)) {
      logger.warn("Gave up {activityId} to {inbox}: {failure}", context);
      if (status === 410) await this.#forgetGoneInbox(message.inbox);
      return;
    }
    const delay = this.#o.retryPolicy({
      elapsedTime: Temporal.Instant.from(message.started).until(Temporal.Now.instant()),
      attempts: message.attempt,
    });
    if (delay === null) {
      logger.error("Gave up {activityId} to {inbox} after {attempts} attempts: {failure}", {
        ...context,
        attempts: message.attempt + 1,
      });
      return;
    }
    const delayMs = Math.max(delay.total("millisecond"), retryAfterMs ?? 0);
    logger.info("Delivery of {activityId} to {inbox} failed ({failure}); retry in {delayMs} ms", {
      ...context,
      delayMs,
    });
    await this.#o.queue.enqueue(
      { ...message, attempt: message.attempt + 1 },
      { delay: Temporal.Duration.from({ milliseconds: Math.round(delayMs) }) },
    );
  }

  async #post(message: RawDeliveryMessage): Promise<Response> {
    const pairs = await this.#o.keys.get(this.#o.db, message.sender);
    const rsa = pairs.find((p) => p.privateKey.algorithm.name === "RSASSA-PKCS1-v1_5");
    if (!rsa) throw new Error(`no RSA key for ${message.sender}`);
    const keyId = new URL(message.keyId);
    const { response } = await this.#o.safeFetch(message.inbox, {
      method: "POST",
      headers: { "content-type": ACTIVITY_JSON, accept: ACTIVITY_JSON },
      body: message.body,
      // An inbox that redirects a POST is misconfigured; never re-post elsewhere.
      maxRedirects: 0,
      timeoutMs: DELIVERY_TIMEOUT_MS,
      // Signed per hop with the headers actually sent (Digest added by Fedify).
      prepareRequest: (request) =>
        signRequest(request, rsa.privateKey, keyId, { spec: "draft-cavage-http-signatures-12" }),
    });
    return response;
  }

  /** As for Fedify deliveries: a personal inbox answering 410 means the account is gone. */
  async #forgetGoneInbox(inbox: string): Promise<void> {
    await this.#o.db.delete(remoteActors).where(eq(remoteActors.inboxUrl, inbox));
  }
}

function parseRetryAfterMs(value: string | null): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  const ms = /^\d{1,9}$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - Date.now();
  return Number.isNaN(ms) ? null : Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}
