/**
 * Why an outbound request was refused or failed. Callers branch on `code`;
 * the message names the URL and is safe to log (it never contains headers or
 * bodies).
 *
 * - `scheme`: not http(s); no connection was attempted.
 * - `private-address`: the host is, or resolves to, a non-public address
 *   (checked on every redirect hop); no connection was attempted.
 * - `dns`: the host name did not resolve.
 * - `too-many-redirects`: more hops than allowed, or a redirect loop.
 * - `timeout`: the whole call (DNS, connect, headers, body) passed its deadline.
 * - `too-large`: the body (declared or actually sent) passed the size cap.
 * - `network`: connection, TLS or protocol failure, or an unusable redirect.
 */
export type SafeFetchErrorCode =
  | "scheme"
  | "private-address"
  | "dns"
  | "too-many-redirects"
  | "timeout"
  | "too-large"
  | "network";

export class SafeFetchError extends Error {
  override readonly name = "SafeFetchError";

  constructor(
    readonly code: SafeFetchErrorCode,
    /** The URL of the hop that failed (after redirects so far). */
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${message}: ${url}`, options);
  }
}

export function isSafeFetchError(
  error: unknown,
  code?: SafeFetchErrorCode,
): error is SafeFetchError {
  return error instanceof SafeFetchError && (code === undefined || error.code === code);
}
