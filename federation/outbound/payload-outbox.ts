import type {
  MessageQueue,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import type { Db } from "../../src/db/client.ts";
import { canonicalShape } from "../objects/canonical-shape.ts";
import { type DeliveryTarget, enqueuePayload, type Payload } from "./delivery-payloads.ts";

/** The fields of Fedify 2.3's outbox message this adapter relies on. */
interface FedifyOutboxMessage {
  readonly type: "outbox";
  readonly activity: object;
  readonly activityId: string;
  readonly activityType: string;
  readonly inbox: string;
  readonly actorIds: readonly string[];
  readonly keys: readonly { readonly keyId: string; readonly privateKey: { kty?: unknown } }[];
  readonly started: string;
  readonly attempt: number;
}

export interface PayloadOutboxOptions {
  readonly db: Db;
  /** The local actor a key id belongs to (`…/users/ana#main-key` → "ana"); null if none. */
  readonly senderOf: (keyId: string) => string | null;
}

/**
 * Fedify's outbox queue, turned into Haven's delivery path (ADR 0009).
 *
 * Fedify still builds every activity — recipients, `@context`, Object
 * Integrity Proof, Linked Data signature, `as:Public` normalisation — and
 * then enqueues one message per inbox, each carrying the whole activity and
 * the sender's private keys. Here those messages become one stored payload
 * (the body Fedify would POST, `JSON.stringify(activity)`, after
 * `canonicalShape` — see ADR 0012) and one
 * small row per inbox for `Deliveries`, in one transaction. The private keys
 * are not stored; the delivery worker signs with its cached imported key.
 *
 * Anything this does not recognise (ordering keys, extra headers such as
 * `Collection-Synchronization`, a message already held by Fedify's circuit
 * breaker, a future message format) goes to Fedify's own outbox queue and
 * worker unchanged.
 */
export class PayloadOutboxQueue implements MessageQueue {
  readonly nativeRetrial: boolean;

  constructor(
    private readonly inner: MessageQueue,
    private readonly options: PayloadOutboxOptions,
  ) {
    this.nativeRetrial = inner.nativeRetrial ?? false;
  }

  async enqueue(raw: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    const [message] = reshapeActivities([raw]);
    if (!(await this.#divert([message], options))) await this.inner.enqueue(message, options);
  }

  async enqueueMany(raw: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    const rest = await this.#divertMany(reshapeActivities(raw), options);
    if (rest.length === 0) return;
    await (this.inner.enqueueMany
      ? this.inner.enqueueMany(rest, options)
      : Promise.all(rest.map((m) => this.inner.enqueue(m, options))));
  }

  listen(
    handler: (message: unknown) => Promise<void> | void,
    options?: MessageQueueListenOptions,
  ): Promise<void> {
    return this.inner.listen(handler, options);
  }

  getDepth() {
    return this.inner.getDepth?.() ?? Promise.resolve({ queued: 0, ready: 0, delayed: 0 });
  }

  /** Stores what it can as payloads; returns the messages left for Fedify. */
  async #divertMany(
    messages: readonly unknown[],
    options: MessageQueueEnqueueOptions | undefined,
  ): Promise<unknown[]> {
    if (options?.orderingKey != null) return [...messages];
    // Fedify's messages for one activity share the activity object itself.
    const groups = new Map<object, FedifyOutboxMessage[]>();
    const rest: unknown[] = [];
    for (const message of messages) {
      if (!isPlainOutboxMessage(message)) {
        rest.push(message);
        continue;
      }
      const group = groups.get(message.activity);
      if (group) group.push(message);
      else groups.set(message.activity, [message]);
    }
    for (const group of groups.values()) {
      if (!(await this.#divert(group, options))) rest.push(...group);
    }
    return rest;
  }

  /** One activity's messages → one payload and its deliveries; false if not ours to take. */
  async #divert(
    messages: readonly unknown[],
    options: MessageQueueEnqueueOptions | undefined,
  ): Promise<boolean> {
    if (options?.orderingKey != null) return false;
    const first = messages[0];
    if (!isPlainOutboxMessage(first) || !messages.every(isPlainOutboxMessage)) return false;
    const rsa = first.keys.find((k) => k.privateKey.kty === "RSA");
    const sender = rsa ? this.options.senderOf(rsa.keyId) : null;
    if (!rsa || sender === null) return false;
    const payload: Payload = {
      activityId: first.activityId,
      activityType: first.activityType,
      sender,
      keyId: rsa.keyId,
      // What Fedify's own worker would post for the same (reshaped) message.
      body: JSON.stringify(first.activity),
    };
    const targets: DeliveryTarget[] = (messages as FedifyOutboxMessage[]).map((m) => ({
      inbox: m.inbox,
      actorIds: m.actorIds,
    }));
    await enqueuePayload(this.options.db, payload, targets, {
      started: first.started,
      attempt: first.attempt,
      ...(options?.delay ? { delay: options.delay } : {}),
    });
    return true;
  }
}

/**
 * Every activity Fedify built leaves in Haven's canonical shape (arrays for
 * `to`/`cc`/`attachment`, …), whichever queue then posts it. Messages of one
 * activity keep sharing one object (`#divertMany` groups them by identity).
 */
function reshapeActivities(messages: readonly unknown[]): unknown[] {
  const shaped = new Map<object, Record<string, unknown>>();
  return messages.map((message) => {
    const m = message as { type?: unknown; activity?: unknown } | null;
    if (m?.type !== "outbox" || typeof m.activity !== "object" || m.activity === null) {
      return message;
    }
    let activity = shaped.get(m.activity);
    if (activity === undefined) {
      activity = canonicalShape(m.activity as Record<string, unknown>);
      shaped.set(m.activity, activity);
    }
    return activity === m.activity ? message : { ...m, activity };
  });
}

function isPlainOutboxMessage(message: unknown): message is FedifyOutboxMessage {
  if (typeof message !== "object" || message === null) return false;
  const m = message as Record<string, unknown>;
  const headers = m.headers;
  return (
    m.type === "outbox" &&
    typeof m.activity === "object" &&
    m.activity !== null &&
    typeof m.activityId === "string" &&
    typeof m.activityType === "string" &&
    typeof m.inbox === "string" &&
    Array.isArray(m.actorIds) &&
    Array.isArray(m.keys) &&
    m.keys.every(
      (k) =>
        typeof k === "object" &&
        k !== null &&
        typeof (k as { keyId?: unknown }).keyId === "string" &&
        typeof (k as { privateKey?: unknown }).privateKey === "object" &&
        (k as { privateKey?: unknown }).privateKey !== null,
    ) &&
    typeof m.started === "string" &&
    typeof m.attempt === "number" &&
    m.orderingKey == null &&
    m.circuitHeldSince == null &&
    (headers == null ||
      (typeof headers === "object" && Object.keys(headers as object).length === 0))
  );
}
