/**
 * Fake Mastodon / PeerTube / GoToSocial instances on loopback, for federation tests. They serve
 * WebFinger, NodeInfo and actors at each software's paths, verify every inbox POST with the
 * rig's own draft-cavage verifier (fetching the signer's key over HTTP), record deliveries, and
 * sign what they send the way the real software does. No Fedify anywhere: an independent peer.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mergeHeaders, signRequest } from "../http-signatures.ts";
import { createActor, peertubeFixtureKeys } from "./actors.ts";
import { DeliveryLog } from "./delivery-log.ts";
import { httpRequest } from "./http-client.ts";
import { AP_ACCEPT, createRemoteClient } from "./remote-client.ts";
import { createRequestHandler } from "./server.ts";
import { type RemoteState, ruleToBehaviour } from "./state.ts";
import type {
  AddActorOptions,
  Delivery,
  FakeActor,
  HttpResult,
  InboxAttempt,
  InboxBehaviourFn,
  InboxBehaviourRule,
  IncomingRequest,
  JsonObject,
  OutboundRequest,
  RemoteKind,
  SendOptions,
  StartFakeRemoteOptions,
} from "./types.ts";
import { resolveWebFinger } from "./webfinger-client.ts";

export * from "./activities.ts";
export { generateRsaKeyPair, peertubeFixtureKeys } from "./actors.ts";
export { httpRequest } from "./http-client.ts";
export type * from "./types.ts";
export { WebFingerResolutionError } from "./webfinger-client.ts";

export interface FakeRemote {
  kind: RemoteKind;
  /** e.g. `http://127.0.0.2:40123` */
  origin: string;
  /** host:port, the domain part of this instance's handles */
  domain: string;
  instanceActor: FakeActor;
  actors: ReadonlyMap<string, FakeActor>;
  /** Inbox POSTs that were processed normally (verified or not), in arrival order. */
  deliveries: readonly Delivery[];
  /** Every inbox POST, including those answered by `setInboxBehaviour`. */
  attempts: readonly InboxAttempt[];
  /** GETs this instance made (key fetches, WebFinger, actor fetches). */
  outboundRequests: readonly OutboundRequest[];
  /** Every request this instance received (inbox POSTs, key and actor GETs, WebFinger…). */
  incomingRequests: readonly IncomingRequest[];
  addActor(username: string, options?: AddActorOptions): Promise<FakeActor>;
  /** A known actor (the instance actor included); throws for an unknown name. */
  actor(username: string): FakeActor;
  /**
   * Deletes an actor: its document and key then answer `status` (Mastodon: 410 Gone once the
   * account is deleted). The returned FakeActor can still sign (its key is kept by the test).
   */
  removeActor(username: string, status?: 404 | 410): FakeActor;
  setInboxBehaviour(behaviour: InboxBehaviourFn | InboxBehaviourRule | null): void;
  /** Make NodeInfo (well-known and document) answer `status`, e.g. 500; null restores it. */
  setNodeInfoStatus(status: number | null): void;
  waitForDelivery(
    predicate: (delivery: Delivery) => boolean,
    options?: { timeoutMs?: number },
  ): Promise<Delivery>;
  /** Sign (as the real software would) and POST `activity`; serves it by id afterwards. */
  send(
    actor: string | FakeActor,
    targetInboxUrl: string,
    activity: JsonObject,
    options?: SendOptions,
  ): Promise<HttpResult>;
  /** Serve an object at its id (it must be on this origin). */
  serve(object: JsonObject): void;
  resolveWebFinger(acct: string, ourOrigin: string): Promise<JsonObject>;
  /** GET as this instance would (signed by the instance actor in authorized-fetch mode). */
  get(url: string, options?: { accept?: string; sign?: boolean }): Promise<HttpResult>;
  clearDeliveries(): void;
  close(): Promise<void>;
}

const LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export async function startFakeRemote(options: StartFakeRemoteOptions): Promise<FakeRemote> {
  const kind = options.kind;
  const host = options.host ?? "127.0.0.2";
  if (!LOOPBACK.test(host)) throw new Error(`fake remote must listen on 127.0.0.0/8, not ${host}`);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host}:${port}`;
  const domain = `${host}:${port}`;
  const authorizedFetch = options.authorizedFetch ?? kind === "gotosocial";

  // Mastodon's instance actor is /actor named after the domain; PeerTube's is the
  // `peertube` Application account, which here signs with PeerTube's test key pair.
  const instanceActor = await createActor({
    kind,
    origin,
    domain,
    username: kind === "peertube" ? "peertube" : kind === "mastodon" ? domain : host,
    instance: true,
    options:
      kind === "peertube"
        ? { keyPair: peertubeFixtureKeys() }
        : { manuallyApprovesFollowers: kind === "mastodon" },
  });
  const outboundRequests: OutboundRequest[] = [];
  const state: RemoteState = {
    kind,
    origin,
    domain,
    actors: new Map(),
    instanceActor,
    objects: new Map(),
    log: new DeliveryLog(`fake ${kind} at ${origin}`),
    incoming: [],
    removed: new Map(),
    client: createRemoteClient({
      kind,
      instanceActor: () => instanceActor,
      authorizedFetch,
      timeoutMs: options.requestTimeoutMs ?? 5000,
      log: outboundRequests,
      userAgent: userAgent(kind, origin),
    }),
    authorizedFetch,
    maxSkewSeconds: options.maxSkewSeconds ?? 3600,
    behaviour: undefined,
    nodeInfoStatus: undefined,
  };
  server.on("request", createRequestHandler(state));

  const findActor = (username: string): FakeActor => {
    if (username === instanceActor.username) return instanceActor;
    const actor = state.actors.get(username);
    if (!actor) throw new Error(`fake ${kind}: no actor "${username}"`);
    return actor;
  };
  const serve = (object: JsonObject) => {
    if (typeof object.id !== "string" || !object.id.startsWith(`${origin}/`)) {
      throw new Error(`fake ${kind}: can only serve objects with an id on ${origin}`);
    }
    state.objects.set(object.id, { ...object });
  };

  return {
    kind,
    origin,
    domain,
    instanceActor,
    actors: state.actors,
    deliveries: state.log.deliveries,
    attempts: state.log.attempts,
    outboundRequests,
    incomingRequests: state.incoming,
    async addActor(username, actorOptions = {}) {
      if (state.actors.has(username) || username === instanceActor.username) {
        throw new Error(`fake ${kind}: actor "${username}" exists`);
      }
      const actor = await createActor({ kind, origin, domain, username, options: actorOptions });
      state.removed.delete(actor.id);
      state.removed.delete(actor.keyId.split("#")[0]!);
      state.actors.set(username, actor);
      return actor;
    },
    actor: findActor,
    removeActor(username, status = 410) {
      const actor = findActor(username);
      if (actor === instanceActor)
        throw new Error(`fake ${kind}: cannot remove the instance actor`);
      state.actors.delete(username);
      state.removed.set(actor.id, status);
      state.removed.set(actor.keyId.split("#")[0]!, status);
      return actor;
    },
    setInboxBehaviour(behaviour) {
      state.behaviour =
        behaviour === null
          ? undefined
          : typeof behaviour === "function"
            ? behaviour
            : ruleToBehaviour(behaviour);
    },
    setNodeInfoStatus(status) {
      state.nodeInfoStatus = status ?? undefined;
    },
    waitForDelivery: (predicate, waitOptions) => state.log.waitFor(predicate, waitOptions),
    async send(actorOrName, targetInboxUrl, activity, sendOptions = {}) {
      const actor = typeof actorOrName === "string" ? findActor(actorOrName) : actorOrName;
      if (typeof activity.id === "string" && activity.id.startsWith(`${origin}/`)) {
        serve(activity);
        const object = activity.object as JsonObject | undefined;
        if (typeof object?.id === "string" && object.id.startsWith(`${origin}/`)) serve(object);
      }
      const body = JSON.stringify(activity);
      const headers = signRequest({
        method: "POST",
        url: targetInboxUrl,
        body,
        headers: { Accept: AP_ACCEPT, "User-Agent": userAgent(kind, origin) },
        keyId: sendOptions.keyId ?? actor.signingKeyId,
        privateKeyPem: sendOptions.privateKeyPem ?? actor.keys.privateKeyPem,
        algorithm: sendOptions.algorithm ?? "rsa-sha256",
        // Mastodon: `(request-target) host date digest content-type`, path without query.
        // PeerTube (HTTP_SIGNATURE constants) and GoToSocial: `(request-target) host date digest`.
        headersToSign:
          sendOptions.headersToSign ??
          (kind === "mastodon" ? undefined : ["(request-target)", "host", "date", "digest"]),
        queryInRequestTarget: kind !== "mastodon",
        ...(sendOptions.date ? { date: sendOptions.date } : {}),
      });
      const result = await httpRequest({
        method: "POST",
        url: targetInboxUrl,
        headers: mergeHeaders(headers, sendOptions.headersAfterSigning ?? {}),
        body: sendOptions.bodyAfterSigning ?? body,
        timeoutMs: sendOptions.timeoutMs ?? 10_000,
      });
      return result;
    },
    serve,
    resolveWebFinger: (acct, ourOrigin) => resolveWebFinger(state.client, acct, ourOrigin),
    get: (url, getOptions = {}) => state.client.get(url, getOptions.accept, getOptions.sign),
    clearDeliveries: () => state.log.clear(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function userAgent(kind: RemoteKind, origin: string): string {
  if (kind === "mastodon") return `http.rb/5.2.0 (Mastodon/4.3.0; +${origin}/)`;
  if (kind === "peertube") return `PeerTube/7.0.0 (+${origin})`;
  return `gotosocial/0.17.0 (+${origin})`;
}
