import { KeyObject, randomUUID } from "node:crypto";
import type { Context, KvStore, MessageQueue } from "@fedify/fedify";
import type { CryptographicKey } from "@fedify/vocab";
import type { Db } from "../../src/db/client.ts";
import type { HavenContext } from "../context.ts";
import {
  type CavageSignature,
  parsePlainSignature,
  verifyPlainSignature,
} from "./draft-signature.ts";
import { fedifyVerifiedKey } from "./fedify-verified-key.ts";
import { plainActivity } from "./plain-activity.ts";
import { RecipientCache } from "./recipient-cache.ts";
import { VerifiedKeyCache } from "./verified-key-cache.ts";

/** An inbox POST that passed guardInbox: its exact bytes, parsed once. */
export interface GuardedInboxPost {
  readonly request: Request;
  readonly body: Uint8Array;
  readonly activity: unknown;
  readonly actorId: URL;
}

export type FallbackReason =
  | "unusual"
  | "key-unknown"
  | "not-owner"
  | "rejected"
  | "bad-signature"
  | "recipient-unknown";

export type FastPathOutcome =
  | { readonly accepted: true; readonly response: Response }
  | { readonly accepted: false; readonly reason: FallbackReason };

/** Fedify's own path names: `/users/{identifier}/inbox` and the shared `/inbox`. */
const PERSONAL_INBOX = /^\/users\/([A-Za-z0-9_.-]{1,100})\/inbox$/;

/**
 * Accepts a plain, signed inbox POST without Fedify's inbox handler: it
 * verifies the draft-cavage signature with a key the slow path already
 * proved (see ADR 0008), then enqueues exactly the message Fedify's
 * `routeActivity` enqueues, so the unchanged worker runs our listeners.
 * Whatever is not the plain case is left to Fedify (`accepted: false`): the
 * caller then takes the slow path, unchanged, and every refusal keeps
 * Fedify's status and body.
 */
export class InboxFastPath {
  readonly keys = new VerifiedKeyCache();
  readonly stats = {
    accepted: 0,
    learned: 0,
    fallbacks: {} as Partial<Record<FallbackReason, number>>,
  };
  readonly #recipients = new RecipientCache();

  constructor(
    private readonly options: {
      /** Fedify's inbox queue (the one `createFederation` got). */
      readonly queue: MessageQueue;
      /** Fedify's KV store, where it keeps the keys it verified with. */
      readonly kv: KvStore;
      readonly now?: () => number;
    },
  ) {}

  async accept(post: GuardedInboxPost, db: Db): Promise<FastPathOutcome> {
    const outcome = await this.#accept(post, db);
    if (outcome.accepted) this.stats.accepted++;
    else this.stats.fallbacks[outcome.reason] = (this.stats.fallbacks[outcome.reason] ?? 0) + 1;
    return outcome;
  }

  async #accept(post: GuardedInboxPost, db: Db): Promise<FastPathOutcome> {
    const plain = this.#plain(post);
    if (plain === null) return fallback("unusual");
    const { signature, activity, url, recipient } = plain;
    const cached = this.keys.get(signature.keyId);
    if (cached === undefined) return fallback("key-unknown");
    // Fedify's doesActorOwnKey: the key's owner is the activity's actor.
    if (cached.owner !== activity.actor || cached.owner !== post.actorId.href) {
      return fallback("not-owner");
    }
    const verdict = verifyPlainSignature(
      { path: url.pathname, headers: post.request.headers, body: post.body },
      signature,
      cached.key,
      this.#now(),
    );
    if (verdict === "bad-signature") {
      // A rotated key, or a forgery: either way Fedify fetches the key afresh.
      this.keys.delete(signature.keyId);
      return fallback("bad-signature");
    }
    if (verdict !== "verified") return fallback(verdict);
    if (recipient !== null && !(await this.#recipients.exists(db, recipient))) {
      return fallback("recipient-unknown");
    }
    // Byte for byte what Fedify 2.3.6's routeActivity enqueues. Its web-side
    // idempotency check reads a key only written when there is no queue, so
    // it never hits here; the worker checks (and records) processed ids.
    await this.options.queue.enqueue({
      type: "inbox",
      id: randomUUID(),
      baseUrl: url.origin,
      activity: post.activity,
      identifier: recipient,
      attempt: 0,
      started: new Date().toISOString(),
      traceContext: {},
    });
    return {
      accepted: true,
      response: new Response("Activity is enqueued.", {
        status: 202,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
      }),
    };
  }

  /**
   * After Fedify accepted `post` (2xx): remember the key it verified with,
   * when the fast path could use it for the next request from that key.
   */
  async learnFromSlowPath(post: GuardedInboxPost, ctx: Context<HavenContext>): Promise<boolean> {
    const plain = this.#plain(post);
    if (plain === null || this.keys.get(plain.signature.keyId) !== undefined) return false;
    const key = await fedifyVerifiedKey(this.options.kv, ctx, new URL(plain.signature.keyId));
    return this.learn(post, key);
  }

  /**
   * Remembers `key` for `post`'s key id if it is the kind the fast path
   * could have used: it must verify this very request and belong to the
   * activity's actor (the guard has already checked that the actor lists it).
   */
  learn(post: GuardedInboxPost, key: CryptographicKey | null): boolean {
    const plain = this.#plain(post);
    if (plain === null || key?.publicKey == null) return false;
    const { signature, activity, url } = plain;
    // PeerTube signs with its actor's URL as key id; the key has `#main-key`.
    if (key.id == null || withoutHash(key.id) !== withoutHash(new URL(signature.keyId))) {
      return false;
    }
    if (key.ownerId?.href !== activity.actor || activity.actor !== post.actorId.href) return false;
    const keyObject = KeyObject.from(key.publicKey);
    const request = { path: url.pathname, headers: post.request.headers, body: post.body };
    if (verifyPlainSignature(request, signature, keyObject, this.#now()) !== "verified") {
      return false;
    }
    this.keys.set(signature.keyId, keyObject, activity.actor);
    this.stats.learned++;
    return true;
  }

  #plain(post: GuardedInboxPost): {
    signature: CavageSignature;
    activity: NonNullable<ReturnType<typeof plainActivity>>;
    url: URL;
    recipient: string | null;
  } | null {
    const { headers } = post.request;
    // RFC 9421 (Signature-Input) and anything but one plain draft-cavage signature: Fedify.
    if (headers.has("signature-input")) return null;
    const signature = parsePlainSignature(headers.get("signature"));
    if (signature === null) return null;
    const url = new URL(post.request.url);
    if (url.search !== "") return null;
    const recipient = url.pathname === "/inbox" ? null : PERSONAL_INBOX.exec(url.pathname)?.[1];
    if (recipient === undefined) return null;
    const activity = plainActivity(post.activity);
    if (activity === null) return null;
    return { signature, activity, url, recipient };
  }

  #now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function withoutHash(url: URL): string {
  const copy = new URL(url);
  copy.hash = "";
  return copy.href;
}

const fallback = (reason: FallbackReason): FastPathOutcome => ({ accepted: false, reason });
