import type { ServerOptions } from "node:http";

/**
 * Timeouts of Haven's HTTP server (`haven serve`, and every test server).
 *
 * Idle keep-alive connections stay open 65 s. Node closes them after 5 s by
 * default, while PeerTube (and Node's own fetch, and most load balancers)
 * keep a pooled connection for longer and reuse it: the first request after
 * a pause then hits a connection Haven just closed (EPIPE / ECONNRESET) and
 * PeerTube does not retry it, so a comment, like or avatar fetch is lost.
 * 65 s is longer than the common client and balancer idle times (60 s:
 * AWS ALB, nginx upstream `keepalive_timeout`), so the client always gives
 * up first; Node answers with `Keep-Alive: timeout=65` to say so.
 *
 * Idleness costs nothing beyond an open socket; a connection in the middle
 * of a request still has to finish its headers within `headersTimeout`
 * (from the request's first byte, 408 and close otherwise: no slowloris
 * hole) and the whole request within `requestTimeout`. `headersTimeout`
 * stays above `keepAliveTimeout`, as Node's documentation has long advised:
 * older Node versions counted an idle keep-alive wait against the next
 * request's headers.
 */
export const HTTP_SERVER_OPTIONS = {
  keepAliveTimeout: 65_000,
  headersTimeout: 66_000,
  // Node cuts requests off after 5 minutes by default; a large upload on a
  // slow connection needs longer (resumable uploads avoid the issue entirely).
  requestTimeout: 60 * 60 * 1000,
} as const satisfies ServerOptions;
