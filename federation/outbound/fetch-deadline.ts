/** SECURITY.md "Bounds": ≈ 10 s per remote call. */
export const DEFAULT_FETCH_DEADLINE_MS = 10_000;

const INSTALLED = Symbol.for("haven.fetchDeadline");

interface DeadlineFetch {
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  [INSTALLED]: { original: typeof fetch; ms: number };
}

/**
 * Gives every call of the global `fetch` a deadline: `AbortSignal.timeout(ms)`,
 * combined with the caller's own signal. Fedify 2.3.6 delivers activities
 * (and makes a few lookups) with the global `fetch` and no timeout, and has no
 * option for one (GHSA-9pmv-w936-hj3f, GHSA-fq5h-gjhp-g75x): a remote that
 * never answers would hold a delivery slot forever. The deadline covers the
 * whole exchange, body included; an aborted delivery is an error to Fedify,
 * so it is retried by the outbox retry policy. Haven's own fetcher
 * (`src/net/safe-fetch.ts`) uses node:http and has its own deadline.
 *
 * Called once by the composition root; calling again only changes the deadline.
 */
export function installFetchDeadline(ms: number = DEFAULT_FETCH_DEADLINE_MS): void {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`Invalid fetch deadline: ${ms}`);
  const current = globalThis.fetch as Partial<DeadlineFetch>;
  const state = current[INSTALLED];
  if (state) {
    state.ms = ms;
    return;
  }
  const installed = { original: globalThis.fetch, ms };
  const wrapper = ((input: RequestInfo | URL, init?: RequestInit) => {
    const timeout = AbortSignal.timeout(installed.ms);
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const signal = own ? AbortSignal.any([own, timeout]) : timeout;
    return installed.original(input, { ...init, signal });
  }) as DeadlineFetch;
  wrapper[INSTALLED] = installed;
  globalThis.fetch = wrapper;
}

/** The deadline in force, or null when none is installed. */
export function fetchDeadlineMs(): number | null {
  return (globalThis.fetch as Partial<DeadlineFetch>)[INSTALLED]?.ms ?? null;
}
