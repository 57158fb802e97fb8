import type { InboxContext } from "@fedify/fedify";
import type { Announce, Like } from "@fedify/vocab";
import {
  type ReactionKind,
  recordReaction,
  recordReactionOfKnownActor,
} from "../../src/comments/reaction.service.ts";
import type { HavenContext } from "../context.ts";
import { publishedVideoOfIri } from "./interaction-target.ts";
import { fetchRemoteActor } from "./remote-author.ts";

/**
 * A Like or Announce of one of our videos (its Note or its Video), counted
 * once per actor. Only the id of the object matters: nothing is fetched for it.
 */
export async function receiveReaction(
  ctx: InboxContext<HavenContext>,
  activity: Like | Announce,
  kind: ReactionKind,
): Promise<void> {
  const actorId = activity.actorId;
  if (activity.id == null || actorId == null) return;
  // Its id is stored (unique): one on another origin could squat someone else's.
  if (activity.id.origin !== actorId.origin) return;
  const video = await publishedVideoOfIri(ctx, activity.objectId);
  if (!video) return;
  const standing = await ctx.data.moderation.decideForActor(actorId.href);
  if (standing.action === "reject") return;
  const reaction = { iri: activity.id.href, kind, videoId: video.id };
  // Likes and boosts only need a row to hang on: a known actor is not fetched again.
  const recorded = await recordReactionOfKnownActor(ctx.data.db, {
    ...reaction,
    actorIri: actorId.href,
  });
  if (recorded !== "unknown_actor") return;
  const actor = await fetchRemoteActor(ctx, actorId);
  if (actor) await recordReaction(ctx.data.db, { ...reaction, actorId: actor.id });
}

export function onLike(ctx: InboxContext<HavenContext>, like: Like): Promise<void> {
  return receiveReaction(ctx, like, "like");
}
