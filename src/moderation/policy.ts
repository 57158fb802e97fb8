import { asc, gt } from "drizzle-orm";
import type { Db, Notifier } from "../db/client.ts";
import { accountBlocks, domainAllows, domainBlocks } from "../db/schema/index.ts";
import { coveringDomains, normalizeDomain } from "./domain.ts";
import { readPaged } from "./snapshot.ts";
import { getModerationSettings, MODERATION_CHANNEL, readModerationVersion } from "./state.ts";
import type { Severity } from "./types.ts";

export type FederationAction = "accept" | "silence" | "reject";

export type DecisionReason =
  /** Our own domain: always accepted. */
  | "local_domain"
  /** Nothing applies. */
  | "no_rule"
  /** A domain block (on the domain or a parent) decided. */
  | "domain_block"
  /** Allowlist mode, and neither the domain nor a parent is allowed. */
  | "not_allowlisted"
  /** The actor itself is blocked. */
  | "account_block"
  /** Not a host or actor IRI at all: refused, failing closed. */
  | "invalid_host";

export interface FederationDecision {
  readonly action: FederationAction;
  /** Drop attachments, avatars, headers from this source. True whenever rejected. */
  readonly rejectMedia: boolean;
  /** Ignore its `Flag`s. True whenever rejected. */
  readonly rejectReports: boolean;
  readonly reason: DecisionReason;
  /** The blocked (or allowed) domain that decided, or the blocked actor IRI. */
  readonly matched: string | null;
}

/**
 * The one federation policy: the inbox, delivery, fetch authorisation and
 * the admin API all ask it. Decisions come from an in-memory copy of the
 * effective blocks, allows and account blocks, reloaded when
 * `moderation_state.version` moves (LISTEN/NOTIFY on `haven_moderation`;
 * checked at most every `ttlMs` as a fallback, e.g. for a missed NOTIFY).
 */
export interface FederationPolicy {
  decideForDomain(host: string): Promise<FederationDecision>;
  decideForActor(actorIri: string): Promise<FederationDecision>;
  /** Subscribes to change notifications and loads the first copy. */
  start(): Promise<void>;
  /** Forces the next decision to reload. */
  invalidate(): void;
  /** Reloads now. */
  refresh(): Promise<void>;
  close(): Promise<void>;
  /** The policy version of the loaded copy (0 before the first load). */
  readonly version: number;
}

export interface FederationPolicyOptions {
  readonly db: Db;
  /** Our host (the `PUBLIC_URL` host; a port is ignored). */
  readonly localDomain: string;
  /** `Database.notifier`; without it only the TTL check keeps processes in step. */
  readonly notifier?: Notifier;
  /** How long a loaded copy is trusted before the version is re-read; default 5 s. */
  readonly ttlMs?: number;
  readonly clock?: () => number;
}

interface BlockFlags {
  readonly severity: Severity;
  readonly rejectMedia: boolean;
  readonly rejectReports: boolean;
}

interface Snapshot {
  readonly version: number;
  readonly blocks: ReadonlyMap<string, BlockFlags>;
  readonly allows: ReadonlySet<string>;
  readonly accounts: ReadonlySet<string>;
  readonly allowlist: boolean;
}

const MAX_MEMO = 10_000;

const REJECT = (reason: DecisionReason, matched: string | null): FederationDecision => ({
  action: "reject",
  rejectMedia: true,
  rejectReports: true,
  reason,
  matched,
});

export function createFederationPolicy(options: FederationPolicyOptions): FederationPolicy {
  const { db } = options;
  const ttlMs = options.ttlMs ?? 5_000;
  const clock = options.clock ?? Date.now;
  const local = normalizeDomain(options.localDomain);
  const localDomain = local.ok ? local.domain : options.localDomain.toLowerCase();
  let snapshot: Snapshot | null = null;
  let checkedAt = 0;
  /** Set by `invalidate()` (and a NOTIFY without a usable version). */
  let invalidated = true;
  /** Highest version announced by NOTIFY. */
  let announced = 0;
  let loading: Promise<void> | null = null;
  let unlisten: (() => Promise<void>) | null = null;
  /** Host → decision for the current snapshot: most traffic comes from few hosts. */
  let memo = new Map<string, FederationDecision>();

  const isStale = () => invalidated || (snapshot !== null && announced > snapshot.version);

  async function load(): Promise<void> {
    // Cleared before reading, so an invalidation arriving mid-load is not lost.
    invalidated = false;
    const version = await readModerationVersion(db);
    // In pages: a 50,000-entry blocklist read at once stalls embedded PGlite.
    const blocks = await readPaged((afterId, limit) =>
      db
        .select({
          id: domainBlocks.id,
          domain: domainBlocks.domain,
          severity: domainBlocks.severity,
          rejectMedia: domainBlocks.rejectMedia,
          rejectReports: domainBlocks.rejectReports,
        })
        .from(domainBlocks)
        .where(gt(domainBlocks.id, afterId))
        .orderBy(asc(domainBlocks.id))
        .limit(limit),
    );
    const [allows, accounts, settings] = await Promise.all([
      db.select({ domain: domainAllows.domain }).from(domainAllows),
      db.select({ iri: accountBlocks.actorIri }).from(accountBlocks),
      getModerationSettings(db),
    ]);
    snapshot = {
      version,
      blocks: new Map(blocks.map((b) => [b.domain, b])),
      allows: new Set(allows.map((a) => a.domain)),
      accounts: new Set(accounts.map((a) => a.iri)),
      allowlist: settings.federationMode === "allowlist",
    };
    memo = new Map();
    checkedAt = clock();
  }

  /** Re-reads the version after the TTL; reloads only if it moved. */
  async function revalidate(): Promise<void> {
    if (!isStale() && snapshot) {
      const version = await readModerationVersion(db);
      if (version === snapshot.version) {
        checkedAt = clock();
        return;
      }
    }
    await load();
  }

  function fresh(): Promise<Snapshot> | Snapshot {
    if (snapshot && !isStale() && clock() - checkedAt < ttlMs) return snapshot;
    loading ??= revalidate().finally(() => {
      loading = null;
    });
    return loading.then(
      () => snapshot!,
      (error: unknown) => {
        // Keep deciding from the last good copy if the database hiccups.
        if (snapshot) return snapshot;
        throw error;
      },
    );
  }

  function decide(s: Snapshot, domain: string): FederationDecision {
    if (domain === localDomain) {
      return {
        action: "accept",
        rejectMedia: false,
        rejectReports: false,
        reason: "local_domain",
        matched: null,
      };
    }
    // Blocks on the domain and on every parent all apply; the harshest wins.
    let severity: Severity | null = null;
    let matched: string | null = null;
    let rejectMedia = false;
    let rejectReports = false;
    let allowed = false;
    for (const d of coveringDomains(domain)) {
      const block = s.blocks.get(d);
      if (block) {
        rejectMedia ||= block.rejectMedia;
        rejectReports ||= block.rejectReports;
        if (severity === null || rank(block.severity) > rank(severity)) {
          severity = block.severity;
          matched = d;
        }
      }
      if (s.allows.has(d)) allowed = true;
    }
    if (severity === "suspend") return REJECT("domain_block", matched);
    if (s.allowlist && !allowed) return REJECT("not_allowlisted", null);
    if (severity === null) {
      return {
        action: "accept",
        rejectMedia: false,
        rejectReports: false,
        reason: "no_rule",
        matched: null,
      };
    }
    return {
      action: severity === "silence" ? "silence" : "accept",
      rejectMedia,
      rejectReports,
      reason: "domain_block",
      matched,
    };
  }

  function decideHost(s: Snapshot, host: string): FederationDecision {
    const cached = memo.get(host);
    if (cached) return cached;
    const normalized = normalizeDomain(host);
    const decision = normalized.ok ? decide(s, normalized.domain) : REJECT("invalid_host", null);
    if (memo.size >= MAX_MEMO) memo.clear();
    memo.set(host, decision);
    return decision;
  }

  async function withSnapshot<T>(fn: (s: Snapshot) => T): Promise<T> {
    const s = fresh();
    return fn(s instanceof Promise ? await s : s);
  }

  return {
    get version() {
      return snapshot?.version ?? 0;
    },
    decideForDomain(host) {
      return withSnapshot((s) => decideHost(s, host));
    },
    decideForActor(actorIri) {
      return withSnapshot((s) => {
        let url: URL;
        try {
          url = new URL(actorIri);
        } catch {
          return REJECT("invalid_host", null);
        }
        url.hash = "";
        if (s.accounts.has(url.href)) return REJECT("account_block", url.href);
        return decideHost(s, url.host);
      });
    },
    async start() {
      if (options.notifier && !unlisten) {
        unlisten = await options.notifier.listen(MODERATION_CHANNEL, (payload) => {
          const version = Number(payload);
          if (Number.isFinite(version)) announced = Math.max(announced, version);
          else invalidated = true;
        });
      }
      await load();
    },
    invalidate() {
      invalidated = true;
    },
    refresh: load,
    async close() {
      const stop = unlisten;
      unlisten = null;
      await stop?.();
    },
  };
}

function rank(severity: Severity): number {
  return severity === "suspend" ? 2 : severity === "silence" ? 1 : 0;
}
