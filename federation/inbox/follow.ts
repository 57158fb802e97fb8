import type { InboxContext } from "@fedify/fedify";
import type { Follow } from "@fedify/vocab";
import { findActorByHandle } from "../../src/actors/actor.service.ts";
import { receiveFollow } from "../../src/follows/follow.service.ts";
import { isLockedDown } from "../../src/moderation/lockdown.service.ts";
import type { HavenContext } from "../context.ts";
import { recentOrFetchedActor } from "./remote-author.ts";

export async function onFollow(ctx: InboxContext<HavenContext>, follow: Follow): Promise<void> {
  if (follow.id == null || follow.actorId == null || follow.objectId == null) return;
  const target = ctx.parseUri(follow.objectId);
  if (target?.type !== "actor") return;
  const followee = await findActorByHandle(ctx.data.db, target.identifier);
  if (!followee) return;

  const decision = await ctx.data.moderation.decideForActor(follow.actorId.href);
  if (decision.action === "reject") return;

  // Never an embedded copy: the row we hold (recent), or the actor's own document.
  const follower = await recentOrFetchedActor(ctx, follow.actorId);
  if (!follower) return;

  await receiveFollow(ctx.data.db, ctx.data.events, {
    follower,
    followee,
    activityIri: follow.id.href,
    // During a lockdown (instance or this channel) a new follower waits for a human.
    requireApproval:
      decision.action === "silence" || (await isLockedDown(ctx.data.db, followee.id)),
  });
}
