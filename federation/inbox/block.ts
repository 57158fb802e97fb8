import type { InboxContext } from "@fedify/fedify";
import type { Block } from "@fedify/vocab";
import { findActorByHandle } from "../../src/actors/actor.service.ts";
import { removeFollow } from "../../src/follows/follow.service.ts";
import type { HavenContext } from "../context.ts";

/**
 * Block{one of our actors} from a remote account: it wants nothing more from
 * that channel or member. Its follow (accepted or pending) goes, so nothing
 * more is delivered to it. Mastodon also sends Undo{Follow} when the blocker
 * followed, but not every server does, and the order is not guaranteed.
 * Nothing is recorded of the block itself: a later Follow from the same
 * account is its own, new decision. Undo{Block} therefore has nothing to undo.
 */
export async function onBlock(ctx: InboxContext<HavenContext>, block: Block): Promise<void> {
  if (block.actorId == null || block.objectId == null) return;
  const target = ctx.parseUri(block.objectId);
  if (target?.type !== "actor") return;
  const blocked = await findActorByHandle(ctx.data.db, target.identifier);
  if (!blocked) return;
  await removeFollow(ctx.data.db, {
    followerIri: block.actorId.href,
    followeeId: blocked.id,
    activityIri: null,
  });
}
