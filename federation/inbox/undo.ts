import type { InboxContext } from "@fedify/fedify";
import { Follow, type Undo } from "@fedify/vocab";
import { findActorByHandle } from "../../src/actors/actor.service.ts";
import { removeFollow } from "../../src/follows/follow.service.ts";
import type { HavenContext } from "../context.ts";
import { EMBEDDED_ONLY } from "./undo-interaction.ts";

/**
 * Undo{Follow}. Only the Follow's own actor may undo it: the follower
 * removed is always the Undo's actor (whose signature was verified), and an
 * embedded Follow naming another actor is ignored.
 *
 * The Follow is resolved from whatever the Undo gives: its id (matched
 * against the id we stored), its object (our actor), or both. An embedded
 * Follow without `actor` (an independent server sends that) is the Undo's
 * actor's; an Undo giving only the Follow's id is matched by that id. The
 * Follow is never fetched: what we stored is what counts.
 *
 * That the same Follow id may follow again later, and when, is decided
 * before dispatch (http/undone-activities.ts), not here.
 */
export async function onUndo(ctx: InboxContext<HavenContext>, undo: Undo): Promise<void> {
  if (undo.actorId == null) return;
  const object = await undo.getObject(EMBEDDED_ONLY).catch(() => null);
  if (object instanceof Follow) {
    if (object.actorId != null && object.actorId.href !== undo.actorId.href) return;
    let followeeId: string | null = null;
    if (object.objectId) {
      const parsed = ctx.parseUri(object.objectId);
      if (parsed?.type === "actor") {
        followeeId = (await findActorByHandle(ctx.data.db, parsed.identifier))?.id ?? null;
      }
    }
    await removeFollow(ctx.data.db, {
      followerIri: undo.actorId.href,
      followeeId,
      activityIri: object.id?.href ?? null,
    });
    return;
  }
  // Only an id (a Like's or Announce's id matches no Follow: nothing happens).
  if (object == null && undo.objectId != null) {
    await removeFollow(ctx.data.db, {
      followerIri: undo.actorId.href,
      followeeId: null,
      activityIri: undo.objectId.href,
    });
  }
}
