import { and, eq, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { remoteActors, videoReactions } from "../db/schema/index.ts";

export type ReactionKind = "like" | "announce";

/**
 * A Like or Announce of a video. One per (actor, video, kind) and per
 * activity id: duplicates and re-likes change nothing. True when stored.
 */
export async function recordReaction(
  db: Db,
  input: { iri: string; kind: ReactionKind; videoId: string; actorId: string },
): Promise<boolean> {
  const rows = await db
    .insert(videoReactions)
    .values(input)
    .onConflictDoNothing()
    .returning({ id: videoReactions.id });
  return rows.length > 0;
}

export type KnownActorReaction = "stored" | "duplicate" | "unknown_actor";

/**
 * `recordReaction` for an actor named by its IRI, in one round trip: the
 * usual Like comes from an actor we already hold. "unknown_actor": nothing
 * stored; the caller fetches the actor and calls `recordReaction`.
 */
export async function recordReactionOfKnownActor(
  db: Db,
  input: { iri: string; kind: ReactionKind; videoId: string; actorIri: string },
): Promise<KnownActorReaction> {
  const [row] = await queryRows<{ known: boolean; stored: boolean }>(
    db,
    sql`WITH actor AS (
          SELECT ${remoteActors.id} AS id FROM ${remoteActors} WHERE ${remoteActors.iri} = ${input.actorIri}
        ), stored AS (
          INSERT INTO ${videoReactions} (iri, kind, video_id, actor_id)
          SELECT ${input.iri}, ${input.kind}, ${input.videoId}, actor.id FROM actor
          ON CONFLICT DO NOTHING
          RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM actor) AS known, EXISTS (SELECT 1 FROM stored) AS stored`,
  );
  if (!row?.known) return "unknown_actor";
  return row.stored ? "stored" : "duplicate";
}

/**
 * Undo of a reaction. Always scoped to `actorIri`, the verified actor of the
 * Undo (SECURITY #16): by the original activity's id, or — when the sender
 * gives a different id, as Mastodon may after a re-like — by what it targeted.
 */
export async function removeReaction(
  db: Db,
  input: {
    actorIri: string;
    kind: ReactionKind;
    activityIri: string | null;
    videoId: string | null;
  },
): Promise<number> {
  const actor = sql`(SELECT id FROM ${remoteActors} WHERE ${remoteActors.iri} = ${input.actorIri})`;
  const ofActor = and(eq(videoReactions.actorId, actor), eq(videoReactions.kind, input.kind));
  if (input.activityIri) {
    const byId = await db
      .delete(videoReactions)
      .where(and(ofActor, eq(videoReactions.iri, input.activityIri)))
      .returning({ id: videoReactions.id });
    if (byId.length > 0) return byId.length;
  }
  if (!input.videoId) return 0;
  const byTarget = await db
    .delete(videoReactions)
    .where(and(ofActor, eq(videoReactions.videoId, input.videoId)))
    .returning({ id: videoReactions.id });
  return byTarget.length;
}

export interface ReactionCounts {
  likes: number;
  announces: number;
}

export async function countReactions(db: Db, videoId: string): Promise<ReactionCounts> {
  const [row] = await db
    .select({
      likes: sql<number>`count(*) FILTER (WHERE ${videoReactions.kind} = 'like')::int`,
      announces: sql<number>`count(*) FILTER (WHERE ${videoReactions.kind} = 'announce')::int`,
    })
    .from(videoReactions)
    .where(eq(videoReactions.videoId, videoId));
  return { likes: row?.likes ?? 0, announces: row?.announces ?? 0 };
}
