import { inArray, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { domainBlocks } from "../db/schema/index.ts";
import { recordAudit } from "./audit.ts";
import { coveringDomains, normalizeDomain } from "./domain.ts";
import { ruleFor } from "./domain-blocks.service.ts";
import { REMOTE_DATA_PURGERS, type RemoteDataPurger } from "./purge.ts";
import { type ModerationActor, SYSTEM_ACTOR } from "./types.ts";

/**
 * Hosts per transaction. On embedded PGlite a transaction blocks every other
 * query; a few hundred hosts keep one to tens of milliseconds.
 */
const HOSTS_PER_TRANSACTION = 500;
/** Names per `IN (…)` when reading blocks (bind parameters are limited). */
const NAMES_PER_QUERY = 5_000;

export interface DomainPurge {
  readonly domain: string;
  /** Rows removed per purger, e.g. `{follows: 3, video_comments: 0}`. */
  readonly removed: Record<string, number>;
}

/**
 * Deletes what we stored from many newly suspended domains (and their
 * subdomains) at once: the hosts we hold data from are matched against the
 * domains in memory, then each purger deletes those hosts' rows in a few
 * set-based statements, instead of one transaction per domain. A domain no
 * longer suspended by now is skipped. One audit entry for the whole purge;
 * returns the domains something was removed from.
 */
export async function purgeSuspendedDomains(
  db: Db,
  domains: readonly string[],
  options: { actor?: ModerationActor; extraPurgers?: readonly RemoteDataPurger[] } = {},
): Promise<DomainPurge[]> {
  const suspended = new Set(
    domains.flatMap((d) => {
      const n = normalizeDomain(d);
      return n.ok ? [n.domain] : [];
    }),
  );
  if (suspended.size === 0) return [];
  const purgers = [...REMOTE_DATA_PURGERS, ...(options.extraPurgers ?? [])];

  const causeOf = new Map<string, string>();
  for (const host of await knownHosts(db, purgers)) {
    const cause = coveringDomains(host).find((d) => suspended.has(d));
    if (cause !== undefined) causeOf.set(host, cause);
  }
  const still = await stillSuspended(db, new Set(causeOf.values()));
  const hosts = [...causeOf].filter(([, cause]) => still.has(cause)).map(([host]) => host);

  const removed = new Map<string, Record<string, number>>();
  const totals: Record<string, number> = Object.fromEntries(purgers.map((p) => [p.name, 0]));
  for (let i = 0; i < hosts.length; i += HOSTS_PER_TRANSACTION) {
    const target = { kind: "hosts", hosts: hosts.slice(i, i + HOSTS_PER_TRANSACTION) } as const;
    await db.transaction(async (tx) => {
      for (const purger of purgers) {
        for (const host of await purger.purge(tx as unknown as Db, target)) {
          const cause = causeOf.get(host) ?? host;
          let counts = removed.get(cause);
          if (!counts) {
            counts = Object.fromEntries(purgers.map((p) => [p.name, 0]));
            removed.set(cause, counts);
          }
          counts[purger.name]! += 1;
          totals[purger.name]! += 1;
        }
      }
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  const [only] = suspended;
  await recordAudit(db, {
    actor: options.actor ?? SYSTEM_ACTOR,
    action: "domain_block.purge",
    // One domain keeps the per-domain entry admins search by target.
    target: suspended.size === 1 ? only! : "domain_blocks",
    details: {
      removed: totals,
      domains: suspended.size,
      byDomain: Object.fromEntries(removed),
    },
    source: "system",
  });
  return [...removed].map(([domain, counts]) => ({ domain, removed: counts }));
}

/** Every host we hold rows from (remote actors, and what purgers list themselves). */
async function knownHosts(db: Db, purgers: readonly RemoteDataPurger[]): Promise<Set<string>> {
  const rows = await queryRows<{ host: string }>(
    db,
    sql`SELECT DISTINCT rtrim(lower(domain), '.') AS host FROM remote_actors`,
  );
  const hosts = new Set(rows.map((r) => r.host));
  for (const purger of purgers) {
    for (const host of (await purger.hosts?.(db)) ?? []) hosts.add(host);
  }
  return hosts;
}

/** Of `domains`, those whose applicable block (Mastodon's `rule_for`) suspends now. */
async function stillSuspended(db: Db, domains: ReadonlySet<string>): Promise<Set<string>> {
  const names = [...new Set([...domains].flatMap(coveringDomains))];
  const blocks = new Map();
  for (let i = 0; i < names.length; i += NAMES_PER_QUERY) {
    const rows = await db
      .select()
      .from(domainBlocks)
      .where(inArray(domainBlocks.domain, names.slice(i, i + NAMES_PER_QUERY)));
    for (const row of rows) blocks.set(row.domain, row);
  }
  return new Set([...domains].filter((d) => ruleFor(blocks, d)?.severity === "suspend"));
}
