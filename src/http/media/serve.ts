import { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Context, Handler } from "hono";
import {
  isValidMediaKey,
  LocalMediaStorage,
  type MediaStat,
  type MediaStorage,
} from "../../media/storage.ts";
import { type MediaResponsePlan, planMediaResponse } from "./media-response.ts";
import { sendFileRange } from "./send-file.ts";

export interface ServeMediaOptions {
  /**
   * The storage key a request asks for, e.g. `(c) => c.req.param("key")`;
   * null (or a key failing `isValidMediaKey`) answers 404.
   */
  readonly keyFromRequest: (c: Context) => string | null | undefined;
  /**
   * Asked only when the key is not in storage: another stored key holding
   * the same bytes (an alias), or null for 404. Keeps the common case free
   * of anything but the storage lookup.
   */
  readonly resolveMissing?: (key: string) => Promise<string | null>;
  /** Serve as a download named by this (`Content-Disposition: attachment`). */
  readonly download?: (c: Context) => string;
}

const CORS_PREFLIGHT = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, OPTIONS",
  "access-control-allow-headers": "Range, If-None-Match, If-Modified-Since, If-Range",
  "access-control-max-age": "86400",
};

const NOT_FOUND_HEADERS = {
  "content-type": "text/plain; charset=utf-8",
  "x-content-type-options": "nosniff",
  "access-control-allow-origin": "*",
  "cache-control": "no-cache",
};

/**
 * GET/HEAD (and CORS preflight) for stored media: Range (single ranges → 206,
 * several → full 200, unsatisfiable → 416), conditional requests (304), and
 * inert, cacheable, cross-origin headers. Mount it for GET and OPTIONS
 * (Hono answers HEAD through GET routes), e.g.
 * `app.on(["GET", "OPTIONS"], "/media/:key{.+}", serveMedia(storage, {keyFromRequest: (c) => c.req.param("key")}))`.
 */
export function serveMedia(storage: MediaStorage, options: ServeMediaOptions): Handler {
  return async (c) => {
    const method = c.req.method;
    if (method === "OPTIONS") return new Response(null, { status: 204, headers: CORS_PREFLIGHT });
    if (method !== "GET" && method !== "HEAD") {
      return new Response(null, { status: 405, headers: { allow: "GET, HEAD, OPTIONS" } });
    }
    const found = await locate(storage, options, options.keyFromRequest(c));
    if (!found) return new Response("Not found\n", { status: 404, headers: NOT_FOUND_HEADERS });
    const { key, file } = found;

    const plan = planMediaResponse(key, file, {
      range: c.req.header("range"),
      ifNoneMatch: c.req.header("if-none-match"),
      ifModifiedSince: c.req.header("if-modified-since"),
      ifRange: c.req.header("if-range"),
    });
    if (options.download) {
      // The name comes from a validated key pattern: no quote or control character.
      plan.headers["content-disposition"] = `attachment; filename="${options.download(c)}"`;
    }
    if (method === "HEAD" || !plan.range) {
      return new Response(null, { status: plan.status, headers: plan.headers });
    }
    const outgoing = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
    if (outgoing instanceof ServerResponse) return sendDirect(storage, key, plan, outgoing);
    const stream = storage.createReadStream(key, plan.range);
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, {
      status: plan.status,
      headers: plan.headers,
    });
  };
}

async function locate(
  storage: MediaStorage,
  options: ServeMediaOptions,
  requested: string | null | undefined,
): Promise<{ key: string; file: MediaStat } | null> {
  if (!requested || !isValidMediaKey(requested)) return null;
  const file = await storage.stat(requested);
  if (file) return { key: requested, file };
  const alias = await options.resolveMissing?.(requested);
  if (!alias || !isValidMediaKey(alias)) return null;
  const aliased = await storage.stat(alias);
  return aliased ? { key: alias, file: aliased } : null;
}

/**
 * Under @hono/node-server, write the file straight into the socket instead of
 * through a web ReadableStream: one less copy and promise per chunk, which is
 * what keeps range serving at the speed of a bare node:http server
 * (BENCHMARKS.md S7: ≥ 0.8 × that baseline). Local files go out of reused
 * buffers (send-file.ts); other storages are piped. Elsewhere (app.request()
 * in tests, other runtimes) the web-stream path gives the same answer.
 */
async function sendDirect(
  storage: MediaStorage,
  key: string,
  plan: MediaResponsePlan,
  outgoing: ServerResponse,
): Promise<Response> {
  if (storage instanceof LocalMediaStorage && plan.range) {
    const { start, end } = plan.range;
    const path = storage.pathFor(key);
    outgoing.writeHead(plan.status, plan.headers);
    sendFileRange(path, start, end, outgoing).catch(() => {
      if (!outgoing.destroyed) outgoing.destroy();
    });
    return RESPONSE_ALREADY_SENT;
  }
  const stream = storage.createReadStream(key, plan.range ?? undefined);
  outgoing.writeHead(plan.status, plan.headers);
  // A client that goes away mid-file is normal for video; the pipeline then
  // closes the file stream.
  pipeline(stream, outgoing).catch(() => {
    if (!outgoing.destroyed) outgoing.destroy();
  });
  return RESPONSE_ALREADY_SENT;
}
