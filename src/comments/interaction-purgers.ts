import { type SQL, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";

/**
 * Purgers for what remote actors leave with us — replies, likes/boosts,
 * reports — registered in src/moderation/purge.ts (REMOTE_DATA_PURGERS).
 * Shaped like `RemoteDataPurger` without importing it: purge.ts imports this
 * file, and an import back would be a cycle.
 */
type PurgeTarget =
  | { readonly kind: "domain"; readonly domain: string }
  | { readonly kind: "actor"; readonly actorIri: string }
  | { readonly kind: "hosts"; readonly hosts: readonly string[] };

interface Purger {
  readonly name: string;
  /** The host of each deleted row's remote actor (its length is the count). */
  purge(tx: Db, target: PurgeTarget): Promise<string[]>;
  hosts?(tx: Db): Promise<string[]>;
}

/**
 * The target as a condition on an IRI and a host column (the same matching
 * as purge.ts's `remoteActorMatches`: the domain and its subdomains).
 */
function matches(iri: SQL, domain: SQL, target: PurgeTarget): SQL {
  if (target.kind === "actor") return sql`${iri} = ${target.actorIri}`;
  const host = sql`rtrim(lower(${domain}), '.')`;
  if (target.kind === "hosts") {
    return sql`${host} IN (SELECT jsonb_array_elements_text(${JSON.stringify(target.hosts)}::jsonb))`;
  }
  return sql`(${host} = ${target.domain} OR right(${host}, ${target.domain.length + 1}) = ${`.${target.domain}`})`;
}

const byAuthor = (table: string, column: string): Purger => ({
  name: table,
  async purge(tx, target) {
    const rows = await queryRows<{ host: string }>(
      tx,
      sql`DELETE FROM ${sql.identifier(table)} x USING remote_actors ra
           WHERE ra.id = x.${sql.identifier(column)}
             AND ${matches(sql.raw("ra.iri"), sql.raw("ra.domain"), target)}
       RETURNING rtrim(lower(ra.domain), '.') AS host`,
    );
    return rows.map((r) => r.host);
  },
});

export const commentsPurger: Purger = byAuthor("video_comments", "author_id");
export const reactionsPurger: Purger = byAuthor("video_reactions", "actor_id");

export const reportsPurger: Purger = {
  name: "remote_reports",
  async purge(tx, target) {
    const rows = await queryRows<{ host: string }>(
      tx,
      sql`DELETE FROM remote_reports r
           WHERE ${matches(sql.raw("r.reporter_iri"), sql.raw("r.reporter_domain"), target)}
       RETURNING rtrim(lower(r.reporter_domain), '.') AS host`,
    );
    return rows.map((r) => r.host);
  },
  // Reporters are not rows of remote_actors: say which hosts reports came from.
  async hosts(tx) {
    const rows = await queryRows<{ host: string }>(
      tx,
      sql`SELECT DISTINCT rtrim(lower(reporter_domain), '.') AS host FROM remote_reports
           WHERE reporter_domain IS NOT NULL`,
    );
    return rows.map((r) => r.host);
  },
};

export const INTERACTION_PURGERS: readonly Purger[] = [
  commentsPurger,
  reactionsPurger,
  reportsPurger,
];
