import { sql } from "drizzle-orm";
import { INTERACTION_PURGERS } from "../comments/interaction-purgers.ts";
import { type Db, queryRows } from "../db/client.ts";
import { normalizeActorIri } from "./account-blocks.service.ts";
import { recordAudit } from "./audit.ts";
import { normalizeDomain } from "./domain.ts";
import { findDomainBlockFor } from "./domain-blocks.service.ts";
import { fail, type ModerationResult, success } from "./errors.ts";
import { type ModerationActor, SYSTEM_ACTOR } from "./types.ts";

/** Which remote actors a purge is about. */
export type PurgeTarget =
  | { readonly kind: "domain"; readonly domain: string }
  | { readonly kind: "actor"; readonly actorIri: string }
  /** Exactly these hosts (normalised), no subdomains: a bulk purge (purge-batch.ts). */
  | { readonly kind: "hosts"; readonly hosts: readonly string[] };

/**
 * One kind of data stored from remote actors, and how to delete it for a
 * purge target. HOOK POINT: when a table holds data from remote actors
 * (comments, replies, reactions, cached media…), add its purger to
 * `REMOTE_DATA_PURGERS` below, or pass it in `extraPurgers`.
 */
export interface RemoteDataPurger {
  readonly name: string;
  /**
   * Deletes the target's rows in `tx`; returns the host of each deleted
   * row's remote actor (its length is the count), so a bulk purge can say
   * how much went per domain.
   */
  purge(tx: Db, target: PurgeTarget): Promise<string[]>;
  /**
   * The hosts this purger holds rows from, when its rows are not tied to
   * `remote_actors` (whose hosts a bulk purge reads itself).
   */
  hosts?(tx: Db): Promise<string[]>;
}

/** SQL condition on a `remote_actors` alias matching the target. */
export function remoteActorMatches(alias: string, target: PurgeTarget) {
  const a = sql.raw(alias);
  if (target.kind === "actor") return sql`${a}.iri = ${target.actorIri}`;
  // remote_actors.domain is the URL host; it may keep a trailing dot.
  const host = sql`rtrim(lower(${a}.domain), '.')`;
  if (target.kind === "hosts") {
    return sql`${host} IN (SELECT jsonb_array_elements_text(${JSON.stringify(target.hosts)}::jsonb))`;
  }
  return sql`(${host} = ${target.domain} OR right(${host}, ${target.domain.length + 1}) = ${`.${target.domain}`})`;
}

const followsPurger: RemoteDataPurger = {
  name: "follows",
  async purge(tx, target) {
    const rows = await queryRows<{ host: string }>(
      tx,
      sql`DELETE FROM follows f USING remote_actors ra
           WHERE ra.id = f.follower_id AND ${remoteActorMatches("ra", target)}
       RETURNING rtrim(lower(ra.domain), '.') AS host`,
    );
    return rows.map((r) => r.host);
  },
};

/** Built-in purgers, in order. Add new remote-data tables here. */
export const REMOTE_DATA_PURGERS: readonly RemoteDataPurger[] = [
  followsPurger,
  ...INTERACTION_PURGERS,
];

export interface PurgeResult {
  /** Rows removed per purger name, e.g. `{follows: 12}`. */
  readonly removed: Record<string, number>;
}

async function runPurgers(
  db: Db,
  target: PurgeTarget,
  extra: readonly RemoteDataPurger[],
): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  for (const purger of [...REMOTE_DATA_PURGERS, ...extra]) {
    removed[purger.name] = (removed[purger.name] ?? 0) + (await purger.purge(db, target)).length;
  }
  return removed;
}

/**
 * Deletes what we stored from a suspended domain and its subdomains —
 * follows (accepted and pending) today, more as purgers are added. The
 * federation layer calls it for each domain in a `newlySuspended` list;
 * refused unless the domain really is suspended.
 */
export function purgeSuspendedDomain(
  db: Db,
  domain: string,
  options: { actor?: ModerationActor; extraPurgers?: readonly RemoteDataPurger[] } = {},
): Promise<ModerationResult<PurgeResult>> {
  const normalized = normalizeDomain(domain);
  if (!normalized.ok) return Promise.resolve(fail("invalid", normalized.message));
  return db.transaction(async (tx) => {
    const block = await findDomainBlockFor(tx, normalized.domain);
    if (block?.severity !== "suspend") {
      return fail("invalid", `${normalized.domain} is not suspended; nothing was purged`);
    }
    const target = { kind: "domain", domain: normalized.domain } as const;
    const removed = await runPurgers(tx, target, options.extraPurgers ?? []);
    await recordAudit(tx, {
      actor: options.actor ?? SYSTEM_ACTOR,
      action: "domain_block.purge",
      target: normalized.domain,
      details: { removed, block: block.domain },
      source: "system",
    });
    return success({ removed });
  });
}

/** The same for one blocked actor. Refused unless the actor is blocked. */
export function purgeBlockedAccount(
  db: Db,
  actorIri: string,
  options: { actor?: ModerationActor; extraPurgers?: readonly RemoteDataPurger[] } = {},
): Promise<ModerationResult<PurgeResult>> {
  const normalized = normalizeActorIri(actorIri);
  if (!normalized.ok) return Promise.resolve(fail("invalid", normalized.message));
  return db.transaction(async (tx) => {
    const [blocked] = await queryRows<{ id: string }>(
      tx,
      sql`SELECT id FROM account_blocks WHERE actor_iri = ${normalized.iri}`,
    );
    if (!blocked) return fail("invalid", `${normalized.iri} is not blocked; nothing was purged`);
    const target = { kind: "actor", actorIri: normalized.iri } as const;
    const removed = await runPurgers(tx, target, options.extraPurgers ?? []);
    await recordAudit(tx, {
      actor: options.actor ?? SYSTEM_ACTOR,
      action: "account_block.purge",
      target: normalized.iri,
      details: { removed },
      source: "system",
    });
    return success({ removed });
  });
}
