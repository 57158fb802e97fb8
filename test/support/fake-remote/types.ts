import type { SignatureAlgorithm, VerifyFailureReason } from "../http-signatures.ts";

export type RemoteKind = "mastodon" | "peertube" | "gotosocial";
export type JsonObject = Record<string, unknown>;
export type ActorType = "Person" | "Group" | "Application" | "Service";

export interface KeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

export interface FakeActor {
  username: string;
  type: ActorType;
  name: string;
  /** `username@domain` (domain includes the port). */
  acct: string;
  id: string;
  keyId: string;
  /** The keyId this actor puts in its own Signature headers (PeerTube: the actor URL). */
  signingKeyId: string;
  inbox: string;
  sharedInbox: string | undefined;
  outbox: string;
  followers: string;
  following: string;
  /** The HTML profile page. */
  url: string;
  manuallyApprovesFollowers: boolean;
  keys: KeyPair;
  /** The origin of the fake instance the actor lives on. */
  origin: string;
}

export interface AddActorOptions {
  manuallyApprovesFollowers?: boolean;
  type?: ActorType;
  /** Use a known key pair instead of a fresh RSA-2048 one (e.g. PeerTube's keys.json). */
  keyPair?: KeyPair;
  name?: string;
}

/** What an inbox POST looked like, before any processing. */
export interface InboxAttempt {
  path: string;
  inbox: "shared" | "personal";
  actorUsername?: string;
  headers: Record<string, string>;
  raw: string;
  /** 1 for the first inbox POST this remote received (since `clearDeliveries()`), 2 for the next… */
  attemptNumber: number;
  receivedAt: Date;
  /** The status the remote answered; undefined while hanging. */
  status?: number;
  /** True when the answer came from `setInboxBehaviour`, not from normal processing. */
  injected: boolean;
}

/** An inbox POST that went through normal processing (signature verified or not). */
export interface Delivery {
  path: string;
  inbox: "shared" | "personal";
  actorUsername?: string;
  headers: Record<string, string>;
  /** The parsed JSON object, or null when the body was not a JSON object. */
  body: JsonObject | null;
  raw: string;
  verified: boolean;
  reason?: VerifyFailureReason | "actor-mismatch" | "invalid-json";
  detail?: string;
  /** keyId and key owner when the signature verified. */
  signer?: { keyId: string; owner: string };
  status: number;
  /**
   * A fake PeerTube only: why PeerTube 6.3's validators would drop this
   * activity after answering 204 (empty: it would be processed).
   */
  peertubeProblems?: string[];
  /** Matches the `InboxAttempt` this delivery came from. */
  attemptNumber: number;
  receivedAt: Date;
}

export type InboxOverride =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  | { hang: true }
  /** Wait, then process normally. */
  | { delayMs: number };

/** Return undefined to process the POST normally. */
export type InboxBehaviourFn = (
  attempt: InboxAttempt,
) => InboxOverride | undefined | Promise<InboxOverride | undefined>;

/** A fixed answer for the next `times` inbox POSTs (default: all of them). */
export type InboxBehaviourRule = InboxOverride & { times?: number };

export interface StartFakeRemoteOptions {
  kind: RemoteKind;
  /** Any loopback address 127.0.0.2–127.0.0.254. Default 127.0.0.2. */
  host?: string;
  port?: number;
  /**
   * Mastodon's secure mode: the remote signs its own GETs (key fetches, WebFinger actor fetches)
   * with its instance actor, and answers unsigned GETs of its actors and objects with 401.
   * Default: true for gotosocial (it always works this way), false otherwise.
   */
  authorizedFetch?: boolean;
  /** Clock skew accepted on incoming signatures. Default 3600 s. */
  maxSkewSeconds?: number;
  /** Deadline for the remote's own outbound requests (key fetches, WebFinger). Default 5000 ms. */
  requestTimeoutMs?: number;
}

export interface SendOptions {
  headersToSign?: string[];
  algorithm?: SignatureAlgorithm;
  date?: Date;
  keyId?: string;
  /** Sign as another key (e.g. mallory's) while claiming this actor. */
  privateKeyPem?: string;
  /** Send this body instead of the signed one (to break the digest). */
  bodyAfterSigning?: string;
  /** Headers set after signing (e.g. to change Host or Date). */
  headersAfterSigning?: Record<string, string>;
  timeoutMs?: number;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request another server made to this fake instance (GETs of actors, keys, WebFinger…). */
export interface IncomingRequest {
  method: string;
  url: string;
  signed: boolean;
  receivedAt: Date;
}

export interface OutboundRequest {
  method: string;
  url: string;
  signed: boolean;
  status?: number;
  error?: string;
}
