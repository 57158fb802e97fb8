import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { follows, remoteActors } from "../db/schema/index.ts";

/** What the stored actor document of a follower says about the software behind it. */
export interface FollowerActorShape {
  iri: string;
  type: string;
  inboxUrl: string;
  sharedInboxUrl: string | null;
  /** The document has a `playlists` collection (PeerTube's `pt:playlists`). */
  hasPlaylists: boolean;
  /** Its `@context` names PeerTube's namespace. */
  peertubeContext: boolean;
}

/**
 * The accepted followers of `followeeId` on the given hosts (as
 * `remote_actors.domain`: lower-case, no port), with a few facts read from
 * the actor document stored when they followed. Only those facts leave the
 * database, not the documents.
 */
export async function listFollowerActorShapes(
  db: Db,
  followeeId: string,
  domains: readonly string[],
): Promise<FollowerActorShape[]> {
  if (domains.length === 0) return [];
  return db
    .select({
      iri: remoteActors.iri,
      type: remoteActors.type,
      inboxUrl: remoteActors.inboxUrl,
      sharedInboxUrl: remoteActors.sharedInboxUrl,
      hasPlaylists: sql<boolean>`coalesce(${remoteActors.raw} ? 'playlists', false)`,
      peertubeContext: sql<boolean>`coalesce(position('joinpeertube.org/ns' in (${remoteActors.raw} -> '@context')::text) > 0, false)`,
    })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(
      and(
        eq(follows.followeeId, followeeId),
        eq(follows.status, "accepted"),
        inArray(remoteActors.domain, [...domains]),
      ),
    );
}
