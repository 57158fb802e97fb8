import type { FetchText } from "../../src/moderation/index.ts";
import type { SafeFetch } from "../../src/net/safe-fetch.ts";

/** Shared blocklists can be long: 5 MiB (the default cap is 1 MiB of JSON). */
export const MAX_BLOCKLIST_BYTES = 5 * 1024 * 1024;
const ACCEPT = "text/csv, application/json;q=0.9, text/plain;q=0.8, */*;q=0.1";

/**
 * Downloads a subscribed blocklist through the SSRF-safe fetcher (private
 * addresses refused unless ALLOW_PRIVATE_ADDRESS, a deadline, the size cap).
 * Failures are values, as `syncSubscription` expects.
 */
export function createListFetcher(safeFetch: SafeFetch): FetchText {
  return async (url) => {
    try {
      const { response } = await safeFetch(url, {
        headers: { accept: ACCEPT },
        maxBodyBytes: MAX_BLOCKLIST_BYTES,
        timeoutMs: 30_000,
      });
      if (!response.ok) return { ok: false, error: `HTTP ${response.status} from ${url}` };
      return {
        ok: true,
        text: await response.text(),
        contentType: response.headers.get("content-type"),
      };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  };
}
