import {
  type AuthenticatedDocumentLoaderFactory,
  type DocumentLoader,
  type DocumentLoaderFactory,
  FetchError,
  type HttpMessageSignaturesSpec,
  type KvKey,
  type KvStore,
  kvCache,
  preloadedContexts,
  type RemoteDocument,
  signRequest,
} from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import type { SafeFetch, SafeResponse } from "../src/net/safe-fetch.ts";
import { SafeFetchError } from "../src/net/safe-fetch-error.ts";
import {
  ACTIVITYPUB_ACCEPT,
  CONTEXT_ACCEPT,
  documentId,
  isActivityPubMediaType,
  isContextMediaType,
  type JsonObject,
  parseHttpUrl,
  parseJsonObject,
  sameDocument,
} from "./remote-document.ts";

const logger = getLogger(["haven", "federation", "document-loader"]);

export interface DocumentLoadersOptions {
  /** The fetcher carries the SSRF policy (ALLOW_PRIVATE_ADDRESS) and User-Agent. */
  readonly safeFetch: SafeFetch;
  /** Cache unsigned documents and contexts in Fedify's KV (5 minutes, as Fedify does). */
  readonly cache?: { readonly kv: KvStore; readonly prefix?: KvKey };
  /** Per document; Mastodon's 1 MiB JSON limit by default. */
  readonly maxBodyBytes?: number;
  /** One deadline per load, including a re-fetch by id and a second signature knock. */
  readonly timeoutMs?: number;
}

/**
 * Everything `createFederation` needs. Pass all three factories: Fedify falls
 * back to `documentLoaderFactory` for contexts when `contextLoaderFactory` is
 * missing, and contexts have no `id`, so the strict object loader would
 * refuse them. Fedify's factory options (`allowPrivateAddress`, `userAgent`)
 * are ignored — the fetcher's policy is the only one.
 */
export interface DocumentLoaders {
  readonly documentLoader: DocumentLoader;
  readonly contextLoader: DocumentLoader;
  readonly documentLoaderFactory: DocumentLoaderFactory;
  readonly contextLoaderFactory: DocumentLoaderFactory;
  readonly authenticatedDocumentLoaderFactory: AuthenticatedDocumentLoaderFactory;
}

type Fetcher = (url: string, signal: AbortSignal) => Promise<SafeResponse>;
interface Limits {
  readonly maxBodyBytes: number;
  readonly timeoutMs: number;
}

export function createDocumentLoaders(options: DocumentLoadersOptions): DocumentLoaders {
  const limits: Limits = {
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  const { safeFetch } = options;
  const get =
    (accept: string): Fetcher =>
    (url, signal) =>
      safeFetch(url, { headers: { accept }, signal, ...limits });
  const cached = (loader: DocumentLoader, kind: "object" | "context"): DocumentLoader => {
    if (options.cache === undefined) return loader;
    const prefix = options.cache.prefix ?? ["haven", "remote-document"];
    // Separate prefixes: a context cached under a URL must never be handed
    // out as an ActivityPub object, which it was never checked as.
    return kvCache({ loader, kv: options.cache.kv, prefix: [...prefix, kind] });
  };
  const documentLoader = cached(activityPubLoader(get(ACTIVITYPUB_ACCEPT), limits), "object");
  const contextLoader = cached(jsonLdContextLoader(get(CONTEXT_ACCEPT), limits), "context");
  return {
    documentLoader,
    contextLoader,
    documentLoaderFactory: () => documentLoader,
    contextLoaderFactory: () => contextLoader,
    authenticatedDocumentLoaderFactory: (identity) =>
      activityPubLoader(signedFetcher(safeFetch, identity, limits), limits),
  };
}

/**
 * Loads an ActivityPub object: `application/activity+json` or
 * `application/ld+json` only, and its `id` must name the URL it finally came
 * from (SECURITY.md #17). A document whose id names another URL is not
 * believed; that URL is fetched once instead and must confirm itself, as
 * Mastodon does — this serves `/@alice/1`-style links and GoToSocial's key
 * URLs, while evil.test can never speak for victim.test.
 */
function activityPubLoader(fetcher: Fetcher, limits: Limits): DocumentLoader {
  return (url, options) =>
    preloaded(url) ??
    withDeadline(url, limits.timeoutMs, options?.signal, async (signal) => {
      const first = await fetchObject(fetcher, url, signal);
      if (sameDocument(first.id, first.url)) return remoteDocument(first.url, first.document);
      const own = parseHttpUrl(first.id);
      logger.debug("{url} has id {id}; fetching the id itself", { url: first.url, id: first.id });
      if (own === null) throw new FetchError(first.url, `Document id is not an http(s) URL`);
      const second = await fetchObject(fetcher, own.href, signal);
      if (sameDocument(second.id, second.url)) return remoteDocument(second.url, second.document);
      throw new FetchError(second.url, `Document id ${second.id} does not match its URL`);
    });
}

/** JSON-LD contexts: preloaded ones never touch the network; no id check. */
function jsonLdContextLoader(fetcher: Fetcher, limits: Limits): DocumentLoader {
  return (url, options) =>
    preloaded(url) ??
    withDeadline(url, limits.timeoutMs, options?.signal, async (signal) => {
      const { response, url: finalUrl } = await fetcher(url, signal);
      const document = await readJson(response, finalUrl, isContextMediaType);
      return remoteDocument(finalUrl, document);
    });
}

async function fetchObject(fetcher: Fetcher, url: string, signal: AbortSignal) {
  const { response, url: finalUrl } = await fetcher(url, signal);
  const document = await readJson(response, finalUrl, isActivityPubMediaType);
  const id = documentId(document);
  if (id === null) throw new FetchError(finalUrl, "Document has no id");
  return { url: finalUrl, id, document };
}

async function readJson(
  response: Response,
  url: string,
  acceptable: (contentType: string | null) => boolean,
): Promise<JsonObject> {
  if (!response.ok) {
    // With the response attached, Fedify can tell 404/410 from outages (key cache).
    throw new FetchError(url, `HTTP ${response.status}: ${url}`, response);
  }
  const contentType = response.headers.get("content-type");
  if (!acceptable(contentType)) {
    throw new FetchError(url, `Not an ActivityPub document (Content-Type: ${contentType})`);
  }
  const document = parseJsonObject(await response.text());
  if (document === null) throw new FetchError(url, "Body is not a JSON object");
  return document;
}

/**
 * Signs every hop with the actor's key: draft-cavage first, which Mastodon,
 * PeerTube and most of the fediverse verify, then RFC 9421 once if the peer
 * answered 400/401 (Fedify's "double knock", without remembering per origin).
 */
function signedFetcher(
  safeFetch: SafeFetch,
  identity: { keyId: URL; privateKey: CryptoKey },
  limits: Limits,
): Fetcher {
  const attempt = (url: string, signal: AbortSignal, spec: HttpMessageSignaturesSpec) =>
    safeFetch(url, {
      headers: { accept: ACTIVITYPUB_ACCEPT },
      signal,
      ...limits,
      prepareRequest: (request) =>
        signRequest(request, identity.privateKey, identity.keyId, { spec }),
    });
  return async (url, signal) => {
    const first = await attempt(url, signal, "draft-cavage-http-signatures-12");
    const status = first.response.status;
    return status === 400 || status === 401 ? attempt(url, signal, "rfc9421") : first;
  };
}

function preloaded(url: string): Promise<RemoteDocument> | undefined {
  const document = preloadedContexts[url];
  return document === undefined ? undefined : Promise.resolve(remoteDocument(url, document));
}

function remoteDocument(documentUrl: string, document: unknown): RemoteDocument {
  return { contextUrl: null, document, documentUrl };
}

/** One deadline for a whole load; every failure becomes Fedify's `FetchError`. */
async function withDeadline<T>(
  url: string,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([deadline, callerSignal]) : deadline;
  try {
    return await run(signal);
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (error instanceof FetchError) throw error;
    const message = deadline.aborted
      ? `Timed out after ${timeoutMs} ms`
      : error instanceof SafeFetchError
        ? error.message
        : String(error);
    logger.debug("Could not load {url}: {message}", { url, message });
    const wrapped = new FetchError(url, message);
    wrapped.cause = error;
    throw wrapped;
  }
}
