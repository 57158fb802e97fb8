import type { Federation, InboxContext, InboxListenerSetters } from "@fedify/fedify";
import {
  Announce,
  Block,
  Create,
  Delete,
  Dislike,
  Flag,
  Follow,
  Like,
  Undo,
  Update,
} from "@fedify/vocab";
import type { HavenContext } from "../context.ts";
import { onDelete, onUpdate } from "./actor-lifecycle.ts";
import { onAnnounce } from "./announce.ts";
import { onBlock } from "./block.ts";
import { onCreate } from "./create.ts";
import { onFlag } from "./flag.ts";
import { onFollow } from "./follow.ts";
import { onUnverifiedActivity } from "./gone-actor.ts";
import { onLike } from "./like.ts";
import { onNoteDelete } from "./note-delete.ts";
import { onNoteUpdate } from "./note-update.ts";
import { onUndo } from "./undo.ts";
import { onUndoInteraction } from "./undo-interaction.ts";

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
    .on(Undo, onAnyUndo)
    .on(Update, onAnyUpdate)
    .on(Delete, onAnyDelete)
    .on(Create, onCreate)
    .on(Like, onLike)
    .on(Dislike, onDislike)
    .on(Announce, onAnnounce)
    .on(Flag, onFlag)
    .on(Block, onBlock)
    .onUnverifiedActivity(onUnverifiedActivity);
}

type Ctx = InboxContext<HavenContext>;

/**
 * PeerTube's Dislike (its Undo needs nothing either): accepted and not
 * counted. Haven shows no dislikes (a public thumbs-down on a support video
 * helps nobody); without a listener Fedify's worker logs each one as an error.
 */
async function onDislike(): Promise<void> {}

/** Undo{Like|Announce}, then Undo{Follow} (undo.ts); each ignores the other's. */
async function onAnyUndo(ctx: Ctx, undo: Undo): Promise<void> {
  await onUndoInteraction(ctx, undo);
  await onUndo(ctx, undo);
}

/** An actor updating or deleting itself (object = its own id), or else a note (a comment). */
const onAnyUpdate = (ctx: Ctx, u: Update) =>
  u.objectId?.href === u.actorId?.href ? onUpdate(ctx, u) : onNoteUpdate(ctx, u);
const onAnyDelete = (ctx: Ctx, d: Delete) =>
  d.objectId?.href === d.actorId?.href ? onDelete(ctx, d) : onNoteDelete(ctx, d);
