/** Mastodon caps inbox JSON at 1 MB; so do we, before any parsing. */
export const MAX_INBOX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** Reads a body stream, refusing it as soon as it passes `limit` (whatever Content-Length says). */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array<ArrayBuffer>> {
  if (body === null) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/**
 * Reads a request body of at most `limit` bytes. When the HTTP parser itself
 * holds the body to a declared Content-Length (`lengthFramed`, checked ≤ limit
 * by the caller), @hono/node-server reads it straight off the socket into one
 * buffer, without first building a web Request and stream around it;
 * otherwise (chunked, or no node:http request) the stream is read and cut off
 * at the limit.
 */
export async function readBody(
  request: Request,
  limit: number,
  lengthFramed: boolean,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!lengthFramed) return readCapped(request.body, limit);
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > limit) throw new BodyTooLargeError(limit);
  return bytes;
}
