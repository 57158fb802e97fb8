import type { Federation, InboxListenerSetters } from "@fedify/fedify";
import { Delete, Follow, Undo, Update } from "@fedify/vocab";
import type { HavenContext } from "../context.ts";
import { onDelete, onUpdate } from "./actor-lifecycle.ts";
import { onFollow } from "./follow.ts";
import { onUnverifiedActivity } from "./gone-actor.ts";
import { onUndo } from "./undo.ts";

/**
 * One small handler per activity type. Types without a listener (PeerTube's
 * View, CacheFile, …) get 202 from Fedify so senders stop retrying.
 */
export function registerInboxListeners(
  federation: Federation<HavenContext>,
): InboxListenerSetters<HavenContext> {
  return federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, onFollow)
    .on(Undo, onUndo)
    .on(Update, onUpdate)
    .on(Delete, onDelete)
    .onUnverifiedActivity(onUnverifiedActivity);
}
