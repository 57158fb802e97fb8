import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
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
