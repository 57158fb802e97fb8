import type { InboxContext } from "@fedify/fedify";
import { Follow, type Undo } from "@fedify/vocab";
import { findActorByHandle } from "../../src/actors/actor.service.ts";
import { removeFollow } from "../../src/follows/follow.service.ts";
import type { HavenContext } from "../context.ts";
import { forgetProcessedActivity } from "./processed-marks.ts";

/**
 * Undo{Follow}. Only the Follow's own actor may undo it: the Undo's actor
 * (whose signature Fedify verified) must be the Follow's actor.
 */
export async function onUndo(ctx: InboxContext<HavenContext>, undo: Undo): Promise<void> {
  if (undo.actorId == null) return;
  const object = await undo.getObject({ ...ctx, suppressError: true }).catch(() => null);
  if (object instanceof Follow) {
    if (object.actorId?.href !== undo.actorId.href) return;
    let followeeId: string | null = null;
    if (object.objectId) {
      const parsed = ctx.parseUri(object.objectId);
      if (parsed?.type === "actor") {
        followeeId = (await findActorByHandle(ctx.data.db, parsed.identifier))?.id ?? null;
      }
    }
    const removed = await removeFollow(ctx.data.db, {
      followerIri: undo.actorId.href,
      followeeId,
      activityIri: object.id?.href ?? null,
    });
    if (removed) await allowFollowAgain(ctx, undo.actorId, object.id);
    return;
  }
  // Undo of a Follow given only by id (some servers do this).
  if (object == null && undo.objectId) {
    const removed = await removeFollow(ctx.data.db, {
      followerIri: undo.actorId.href,
      followeeId: null,
      activityIri: undo.objectId.href,
    });
    if (removed) await allowFollowAgain(ctx, undo.actorId, undo.objectId);
  }
}

/**
 * An undone Follow may come back with the same id (Misskey's Follow ids are
 * deterministic), so Fedify must not drop it as already processed. Only for
 * a Follow of the undoing actor's own origin that was really removed.
 */
async function allowFollowAgain(
  ctx: InboxContext<HavenContext>,
  actorId: URL,
  followId: URL | null,
): Promise<void> {
  if (followId === null || followId.origin !== actorId.origin) return;
  await forgetProcessedActivity(ctx.data.db, ctx.origin, followId.href);
}
