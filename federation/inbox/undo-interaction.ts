import type { InboxContext } from "@fedify/fedify";
import { Announce, Like, type Undo } from "@fedify/vocab";
import { type ReactionKind, removeReaction } from "../../src/comments/reaction.service.ts";
import type { HavenContext } from "../context.ts";
import { videoIdOfObjectIri } from "./interaction-target.ts";

/** Reads an embedded object without fetching a referenced one (which comes back null). */
export const EMBEDDED_ONLY = {
  documentLoader: () => Promise.reject(new Error("embedded objects only")),
  crossOrigin: "trust",
  suppressError: true,
} as const;

/**
 * Undo{Like} / Undo{Announce}. Only the actor who liked or boosted can take
 * it back (SECURITY #16): removal is always scoped to the Undo's verified
 * actor, and an embedded activity naming another actor is ignored.
 * Mastodon embeds the Like/Announce; an Undo giving only its id is matched
 * by id. The original is never fetched (Mastodon's Likes have no URL).
 */
export async function onUndoInteraction(
  ctx: InboxContext<HavenContext>,
  undo: Undo,
): Promise<void> {
  const actorId = undo.actorId;
  if (actorId == null || undo.objectId == null) return;
  const embedded = await undo.getObject(EMBEDDED_ONLY).catch(() => null);
  let kind: ReactionKind;
  if (embedded instanceof Like) kind = "like";
  else if (embedded instanceof Announce) kind = "announce";
  else if (embedded == null) {
    for (const k of ["like", "announce"] as const) {
      await removeReaction(ctx.data.db, {
        actorIri: actorId.href,
        kind: k,
        activityIri: undo.objectId.href,
        videoId: null,
      });
    }
    return;
  } else return;
  if (embedded.actorId?.href !== actorId.href) return;
  const target = embedded.objectId ? videoIdOfObjectIri(ctx, embedded.objectId) : null;
  await removeReaction(ctx.data.db, {
    actorIri: actorId.href,
    kind,
    activityIri: embedded.id?.href ?? null,
    videoId: target,
  });
}
