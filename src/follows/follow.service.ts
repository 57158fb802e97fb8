import { and, eq, or, sql } from "drizzle-orm";
import type { LocalActor } from "../actors/actor.service.ts";
import type { Db } from "../db/client.ts";
import { follows, remoteActors } from "../db/schema/index.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { RemoteActor } from "../remote/remote-actor.service.ts";

export type Follow = typeof follows.$inferSelect;

export interface FollowRequest {
  /** The follower as stored (the caller fetched or refreshed it as it saw fit). */
  follower: Pick<RemoteActor, "id" | "iri">;
  followee: LocalActor;
  activityIri: string;
  /** Moderation asked for approval (e.g. a silenced domain). */
  requireApproval?: boolean;
}

/**
 * Records a remote Follow. Accepted at once unless the followee approves
 * followers by hand or moderation requires it; the Accept is queued in the
 * same transaction. A new Follow (new id) from someone already following is
 * answered again, as Mastodon does. The same Follow delivered again changes
 * nothing and is not answered again — also when the copies arrive at once
 * (Fedify's duplicate check is not atomic: ten concurrent copies all reach
 * this function), which the conditional upsert below decides in the database.
 */
export async function receiveFollow(
  db: Db,
  events: OutboundEvents,
  request: FollowRequest,
): Promise<Result<Follow>> {
  if (request.followee.kind === "application") {
    return err("forbidden", "the instance actor cannot be followed");
  }
  const follower = request.follower;
  return db.transaction(async (tx) => {
    const needsApproval =
      request.followee.manuallyApprovesFollowers || request.requireApproval === true;
    const status = needsApproval ? "pending" : "accepted";
    const wasAccepted = sql`${follows.status} = 'accepted'`;
    // Inserted, or updated because this is another Follow or it now gets accepted: a row.
    // The same Follow again, or a pending one still pending under the same id: no row.
    const [changed] = await tx
      .insert(follows)
      .values({
        followerId: follower.id,
        followeeId: request.followee.id,
        activityIri: request.activityIri,
        status,
        acceptedAt: status === "accepted" ? new Date() : null,
      })
      .onConflictDoUpdate({
        target: [follows.followerId, follows.followeeId],
        set: {
          activityIri: sql`excluded.activity_iri`,
          // An accepted follower is never demoted to pending by a repeated Follow.
          status: sql`CASE WHEN ${wasAccepted} THEN 'accepted' ELSE excluded.status END`,
          acceptedAt: sql`CASE WHEN ${wasAccepted} THEN ${follows.acceptedAt} ELSE excluded.accepted_at END`,
        },
        setWhere: sql`${follows.activityIri} IS DISTINCT FROM excluded.activity_iri
          OR (${follows.status} = 'pending' AND excluded.status = 'accepted')`,
      })
      .returning();
    if (changed?.status === "accepted") {
      await events.record(tx, {
        type: "follow.accepted",
        followId: changed.id,
        followerIri: follower.iri,
        followeeId: request.followee.id,
        activityIri: request.activityIri,
      });
    }
    if (changed) return ok(changed);
    const [row] = await tx
      .select()
      .from(follows)
      .where(and(eq(follows.followerId, follower.id), eq(follows.followeeId, request.followee.id)));
    return ok(row!);
  });
}

/** Undo{Follow}: match the Follow's id, falling back to actor + object. */
export async function removeFollow(
  db: Db,
  input: { followerIri: string; followeeId: string | null; activityIri: string | null },
): Promise<boolean> {
  const [follower] = await db
    .select({ id: remoteActors.id })
    .from(remoteActors)
    .where(eq(remoteActors.iri, input.followerIri));
  if (!follower) return false;
  const byPair =
    input.followeeId === null
      ? undefined
      : and(eq(follows.followerId, follower.id), eq(follows.followeeId, input.followeeId));
  const byIri =
    input.activityIri === null
      ? undefined
      : and(eq(follows.followerId, follower.id), eq(follows.activityIri, input.activityIri));
  const where = byPair && byIri ? or(byIri, byPair) : (byIri ?? byPair);
  if (!where) return false;
  const deleted = await db.delete(follows).where(where).returning({ id: follows.id });
  return deleted.length > 0;
}

async function findPending(db: Db, followeeId: string, followId: string) {
  const [row] = await db
    .select({ follow: follows, followerIri: remoteActors.iri })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(and(eq(follows.id, followId), eq(follows.followeeId, followeeId)));
  return row ?? null;
}

export async function acceptFollowRequest(
  db: Db,
  events: OutboundEvents,
  followeeId: string,
  followId: string,
): Promise<Result<Follow>> {
  return db.transaction(async (tx) => {
    const found = await findPending(tx, followeeId, followId);
    if (!found) return err("not_found", "follow request not found");
    if (found.follow.status === "accepted") return ok(found.follow);
    const [row] = await tx
      .update(follows)
      .set({ status: "accepted", acceptedAt: new Date() })
      .where(eq(follows.id, followId))
      .returning();
    await events.record(tx, {
      type: "follow.accepted",
      followId,
      followerIri: found.followerIri,
      followeeId,
      activityIri: found.follow.activityIri,
    });
    return ok(row!);
  });
}

export async function rejectFollowRequest(
  db: Db,
  events: OutboundEvents,
  followeeId: string,
  followId: string,
): Promise<Result<void>> {
  return db.transaction(async (tx) => {
    const found = await findPending(tx, followeeId, followId);
    if (!found) return err("not_found", "follow request not found");
    await tx.delete(follows).where(eq(follows.id, followId));
    await events.record(tx, {
      type: "follow.rejected",
      followerIri: found.followerIri,
      followeeId,
      activityIri: found.follow.activityIri,
    });
    return ok(undefined);
  });
}
