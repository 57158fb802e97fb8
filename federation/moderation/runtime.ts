import { getLogger } from "@logtape/logtape";
import type { Db, Notifier } from "../../src/db/client.ts";
import {
  applyPolicyConsequences,
  createFederationPolicy,
  type FederationPolicy,
  type FetchText,
  getPublicationSettings,
  type ModerationActor,
  type PolicyChange,
  type PurgedTarget,
  syncDueSubscriptions,
} from "../../src/moderation/index.ts";
import type { SafeFetch } from "../../src/net/safe-fetch.ts";
import { createListFetcher } from "./list-fetcher.ts";

const logger = getLogger(["haven", "moderation"]);

/**
 * The running side of moderation in one process: the cached policy every
 * layer consults, the cached authorized-fetch setting, and what follows a
 * change (refresh this process's copy at once, then purge). Other processes
 * learn of changes by NOTIFY, or within the policy's TTL.
 */
export interface ModerationRuntime {
  readonly policy: FederationPolicy;
  /** Our host: lists naming it are ignored for that entry. */
  readonly localDomain: string;
  /** Downloads subscribed lists (SSRF-safe, 5 MiB cap). */
  readonly fetchText: FetchText;
  authorizedFetch(): Promise<boolean>;
  /** Call after every successful policy write; returns what was purged. */
  afterChange(change: PolicyChange, actor: ModerationActor): Promise<PurgedTarget[]>;
  /** Syncs due subscriptions every `intervalMs` until `signal` aborts. */
  runSubscriptionSync(signal: AbortSignal, options?: { intervalMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export async function startModerationRuntime(input: {
  db: Db;
  notifier: Notifier;
  localDomain: string;
  safeFetch: SafeFetch;
}): Promise<ModerationRuntime> {
  const { db, localDomain } = input;
  const policy = createFederationPolicy({ db, localDomain, notifier: input.notifier });
  await policy.start();
  const fetchText = createListFetcher(input.safeFetch);

  // The setting rides on the policy's version: any settings write bumps it.
  let authorized: { version: number; value: boolean } | null = null;
  let loading: Promise<boolean> | null = null;
  async function authorizedFetch(): Promise<boolean> {
    await policy.decideForDomain(localDomain); // revalidates the version (TTL / NOTIFY)
    if (authorized && authorized.version === policy.version) return authorized.value;
    loading ??= (async () => {
      const version = policy.version;
      const value = (await getPublicationSettings(db)).authorizedFetch;
      authorized = { version, value };
      return value;
    })().finally(() => {
      loading = null;
    });
    return loading;
  }

  async function afterChange(change: PolicyChange, actor: ModerationActor) {
    await policy.refresh();
    return applyPolicyConsequences(db, change, actor);
  }

  async function syncOnce(): Promise<void> {
    const reports = await syncDueSubscriptions(db, new Date(), { fetchText, localDomain });
    for (const report of reports) {
      if (report.status === "fetch_failed" || report.status === "parse_failed") {
        logger.warn("Blocklist subscription {id} kept its last good list: {error}", {
          id: report.subscriptionId,
          error: report.error,
        });
      }
      if (report.status !== "synced") continue;
      const purged = await afterChange(
        { newlySuspended: report.newlySuspended },
        { kind: "subscription", subscriptionId: report.subscriptionId },
      );
      if (purged.length > 0) {
        logger.info("Subscription {id} suspended {domains}", {
          id: report.subscriptionId,
          domains: purged.map((p) => p.target),
        });
      }
    }
  }

  async function runSubscriptionSync(signal: AbortSignal, options: { intervalMs?: number } = {}) {
    const intervalMs = options.intervalMs ?? 60_000;
    while (!signal.aborted) {
      try {
        await syncOnce();
      } catch (error) {
        logger.error("Blocklist subscription sync failed: {error}", { error });
      }
      await sleep(intervalMs, signal);
    }
  }

  return {
    policy,
    localDomain,
    fetchText,
    authorizedFetch,
    afterChange,
    runSubscriptionSync,
    close: () => policy.close(),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
