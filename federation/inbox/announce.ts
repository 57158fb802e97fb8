import type { InboxContext } from "@fedify/fedify";
import type { Announce } from "@fedify/vocab";
import type { HavenContext } from "../context.ts";
import { receiveReaction } from "./like.ts";

/** A boost of one of our videos; PeerTube's share of our Video is one too. */
export function onAnnounce(ctx: InboxContext<HavenContext>, announce: Announce): Promise<void> {
  return receiveReaction(ctx, announce, "announce");
}
