import { IncomingMessage } from "node:http";

/**
 * Whether node:http frames this request's body by its Content-Length (so it
 * cannot be longer than declared): a Hono env from @hono/node-server whose
 * request declares a length and is not chunked. llhttp refuses requests
 * carrying both, or conflicting lengths.
 */
export function isLengthFramed(env: unknown): boolean {
  const incoming = (env as { incoming?: unknown } | undefined)?.incoming;
  return (
    incoming instanceof IncomingMessage &&
    incoming.headers["content-length"] !== undefined &&
    incoming.headers["transfer-encoding"] === undefined
  );
}
