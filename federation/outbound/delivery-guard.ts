import type {
  MessageQueue,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { type DestinationPolicy, resolveDestination } from "../../src/net/destination.ts";
import { SafeFetchError } from "../../src/net/safe-fetch-error.ts";
import { domainOf } from "../../src/remote/remote-actor.service.ts";
import type { ModerationGate } from "../context.ts";

const logger = getLogger(["haven", "delivery"]);

export interface DeliveryGuardOptions {
  moderation: ModerationGate;
  destinations: DestinationPolicy;
}

/**
 * Wraps Fedify's outbox queue so that every delivery is checked when it is
 * about to be sent, not when it was queued: a domain blocked after the
 * activity was queued gets nothing, and an inbox URL that resolves to a
 * private address is never contacted (Fedify 2.3.6 does not check,
 * GHSA-f59r-8gcj-68f2). Dropped deliveries are acknowledged, not retried.
 */
export class GuardedOutboxQueue implements MessageQueue {
  readonly nativeRetrial: boolean;

  constructor(
    private readonly inner: MessageQueue,
    private readonly options: DeliveryGuardOptions,
  ) {
    this.nativeRetrial = inner.nativeRetrial ?? false;
  }

  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    return this.inner.enqueue(message, options);
  }

  enqueueMany(messages: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    return this.inner.enqueueMany
      ? this.inner.enqueueMany(messages, options)
      : Promise.all(messages.map((m) => this.inner.enqueue(m, options))).then(() => {});
  }

  getDepth() {
    return this.inner.getDepth?.() ?? Promise.resolve({ queued: 0, ready: 0, delayed: 0 });
  }

  listen(
    handler: (message: unknown) => Promise<void> | void,
    options?: MessageQueueListenOptions,
  ): Promise<void> {
    return this.inner.listen(async (message) => {
      const verdict = await this.check(message);
      if (verdict !== null) {
        logger.info("Dropped delivery to {inbox}: {reason}", verdict);
        return;
      }
      await handler(message);
    }, options);
  }

  /** Null when the delivery may go; otherwise why not. */
  async check(message: unknown): Promise<{ inbox: string; reason: string } | null> {
    if (typeof message !== "object" || message === null) return null;
    const m = message as { type?: unknown; inbox?: unknown; actorIds?: unknown };
    if (m.type !== "outbox" || typeof m.inbox !== "string") return null;
    let url: URL;
    try {
      url = new URL(m.inbox);
    } catch {
      return { inbox: String(m.inbox), reason: "invalid inbox URL" };
    }
    const decision = await this.options.moderation.decideForDomain(domainOf(url.href));
    if (decision.action === "reject") return { inbox: url.href, reason: "domain is blocked" };
    if (Array.isArray(m.actorIds) && m.actorIds.length > 0) {
      const decisions = await Promise.all(
        m.actorIds.map((id) => this.options.moderation.decideForActor(String(id))),
      );
      if (decisions.every((d) => d.action === "reject")) {
        return { inbox: url.href, reason: "recipient is blocked" };
      }
    }
    try {
      await resolveDestination(url, this.options.destinations);
    } catch (e) {
      // A refused address is final; a DNS hiccup is left to Fedify's retries.
      if (e instanceof SafeFetchError && (e.code === "private-address" || e.code === "scheme")) {
        return { inbox: url.href, reason: e.message };
      }
    }
    return null;
  }
}
