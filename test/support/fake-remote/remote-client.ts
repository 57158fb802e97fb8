/** The fake instance's own outbound requests: signed GETs, key fetches. */
import { type FetchedKey, signRequest } from "../http-signatures.ts";
import { httpRequest, isActivityPubContentType, parseJsonObject } from "./http-client.ts";
import type { FakeActor, HttpResult, JsonObject, OutboundRequest, RemoteKind } from "./types.ts";

// Mastodon's Accept for ActivityPub fetches.
export const AP_ACCEPT =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

export interface RemoteClient {
  /** GET as this instance would: signed by its instance actor in authorized-fetch mode. */
  get(url: string, accept?: string, sign?: boolean): Promise<HttpResult>;
  /** GET an ActivityPub document; checks status, content type, JSON and that `id` is `url`. */
  getDocument(url: string): Promise<JsonObject>;
  fetchKey(keyId: string): Promise<FetchedKey | null>;
}

export function createRemoteClient(input: {
  kind: RemoteKind;
  instanceActor: () => FakeActor;
  authorizedFetch: boolean;
  timeoutMs: number;
  log: OutboundRequest[];
  userAgent: string;
}): RemoteClient {
  const get = async (url: string, accept = AP_ACCEPT, sign = true): Promise<HttpResult> => {
    const signer = input.authorizedFetch && sign ? input.instanceActor() : undefined;
    const headers = signer
      ? signRequest({
          method: "GET",
          url,
          headers: { Accept: accept, "User-Agent": input.userAgent },
          keyId: signer.signingKeyId,
          privateKeyPem: signer.keys.privateKeyPem,
          // PeerTube and GoToSocial sign GETs with `(request-target) host date`.
          ...(input.kind === "mastodon"
            ? { queryInRequestTarget: false }
            : { headersToSign: ["(request-target)", "host", "date"] }),
        })
      : { Accept: accept, "User-Agent": input.userAgent };
    const entry: OutboundRequest = { method: "GET", url, signed: signer !== undefined };
    input.log.push(entry);
    try {
      const result = await httpRequest({ method: "GET", url, headers, timeoutMs: input.timeoutMs });
      entry.status = result.status;
      return result;
    } catch (error) {
      entry.error = (error as Error).message;
      throw error;
    }
  };

  const getDocument = async (url: string): Promise<JsonObject> => readDocument(url, await get(url));

  const fetchKey = async (keyId: string): Promise<FetchedKey | null> => {
    const url = keyId.split("#")[0]!;
    const result = await get(url);
    if (result.status === 404 || result.status === 410) return null;
    // A key at its own path may be served as a stub of its owner (GoToSocial), whose id differs.
    const doc = readDocument(url, result, { idMayDiffer: true });
    if (doc.id === url && doc.publicKey !== undefined) return keyListedBy(doc, keyId);
    // A stub or a standalone key document: believe its owner only if the owner lists the key.
    const ownerId = doc.id !== url ? doc.id : doc.owner;
    const pem = doc.id !== url ? keyListedBy(doc, keyId)?.pem : doc.publicKeyPem;
    if (typeof ownerId !== "string" || typeof pem !== "string") {
      throw new Error(`${url} is neither an actor with publicKey nor a key document`);
    }
    const owner = await getDocument(ownerId);
    const listed = keyListedBy(owner, keyId);
    if (!listed) throw new Error(`${ownerId} does not list key ${keyId}`);
    return listed;
  };

  return { get, getDocument, fetchKey };
}

function readDocument(
  url: string,
  result: HttpResult,
  { idMayDiffer = false }: { idMayDiffer?: boolean } = {},
): JsonObject {
  if (result.status !== 200) throw new Error(`GET ${url} answered ${result.status}`);
  if (!isActivityPubContentType(result.headers["content-type"])) {
    throw new Error(`GET ${url}: not ActivityPub (${result.headers["content-type"]})`);
  }
  const doc = parseJsonObject(result.body);
  if (!doc) throw new Error(`GET ${url}: body is not a JSON object`);
  // The id must be the URL it came from (Mastodon CVE-2024-23832).
  if (doc.id !== url && !idMayDiffer) {
    throw new Error(`GET ${url}: document id is ${String(doc.id)}`);
  }
  return doc;
}

/** The key `keyId` from an actor document, if that actor lists it as its own. */
export function keyListedBy(actor: JsonObject, keyId: string): FetchedKey | null {
  const keys = (Array.isArray(actor.publicKey) ? actor.publicKey : [actor.publicKey]).filter(
    (k): k is JsonObject => typeof k === "object" && k !== null,
  );
  // PeerTube signs with keyId = the actor URL: then the actor's only key is meant.
  const key =
    keys.find((k) => k.id === keyId) ?? (keyId === actor.id && keys.length === 1 ? keys[0] : null);
  if (!key || typeof key.publicKeyPem !== "string") return null;
  if (key.owner !== undefined && key.owner !== actor.id) return null;
  return { pem: key.publicKeyPem, owner: String(actor.id) };
}
