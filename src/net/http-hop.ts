import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { pipeline, type Readable, type Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { pinnedLookup } from "./destination.ts";
import { SafeFetchError } from "./safe-fetch-error.ts";

/** Keep-alive agents, one pair per fetcher, so repeated fetches reuse sockets. */
export interface Agents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

export function createAgents(): Agents {
  // `timeout` closes idle pooled sockets; the per-call deadline is separate.
  const options = { keepAlive: true, maxSockets: 32, timeout: 30_000, scheduling: "lifo" as const };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

export interface Hop {
  readonly url: URL;
  readonly method: string;
  readonly headers: Headers;
  readonly body: Uint8Array | null;
  /** Checked addresses; the socket may connect to these and nothing else. */
  readonly addresses: readonly string[];
  readonly signal: AbortSignal;
}

/** Sends one request (no redirect handling) and resolves with its response head. */
export function sendHop(hop: Hop, agents: Agents): Promise<IncomingMessage> {
  const { url } = hop;
  const secure = url.protocol === "https:";
  const headers: Record<string, string> = {};
  for (const [name, value] of hop.headers) headers[name] = value;
  headers.host ??= url.host;
  if (hop.body !== null) headers["content-length"] = String(hop.body.byteLength);
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request({
      protocol: url.protocol,
      // The original host name: it is what Host and TLS SNI/certificate checks
      // use; `lookup` makes the socket go to the pinned address instead.
      host: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port === "" ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: hop.method,
      headers,
      agent: secure ? agents.https : agents.http,
      lookup: pinnedLookup(hop.addresses),
      signal: hop.signal,
    });
    request.once("response", resolve);
    request.on("error", reject);
    request.end(hop.body ?? undefined);
  });
}

/** The response headers as a standard `Headers`, skipping values it rejects. */
export function responseHeaders(response: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // An unrepresentable header value is dropped rather than failing the call.
    }
  }
  return headers;
}

const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  "x-gzip": createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

export function canDecode(contentEncoding: string | null): boolean {
  return contentEncoding === null || contentEncoding.trim().toLowerCase() in DECODERS;
}

/**
 * Reads the whole body, decoding gzip/deflate/br, and destroys the connection
 * as soon as more than `limit` bytes (compressed or decoded — a small gzip
 * bomb is caught on the decoded side) have arrived. `Content-Length` is not
 * trusted; callers reject an over-limit declared length before calling this.
 */
export async function readBody(
  response: IncomingMessage,
  url: string,
  limit: number,
): Promise<Uint8Array> {
  const encoding = response.headers["content-encoding"]?.trim().toLowerCase();
  const makeDecoder =
    encoding === undefined || encoding === "identity" ? undefined : DECODERS[encoding];
  let rawBytes = 0;
  const tooLarge = () =>
    new SafeFetchError("too-large", url, `Response body exceeds ${limit} bytes`);
  let stream: Readable = response;
  if (makeDecoder !== undefined) {
    response.on("data", (chunk: Buffer) => {
      rawBytes += chunk.byteLength;
      if (rawBytes > limit) response.destroy(tooLarge());
    });
    stream = pipeline(response, makeDecoder(), () => {});
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) {
      response.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
