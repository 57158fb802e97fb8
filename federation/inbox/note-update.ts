import type { InboxContext } from "@fedify/fedify";
import type { Update } from "@fedify/vocab";
import { applyAuthorEdit, findCommentByIri } from "../../src/comments/comment.service.ts";
import { verdictAfterEdit } from "../../src/comments/comment-policy.ts";
import type { HavenContext } from "../context.ts";
import { mediaDescriptionsOf, readRemoteNote } from "../objects/remote-note.ts";
import { circumstancesOf } from "./reply-circumstances.ts";
import { trustedNoteOf } from "./trusted-note.ts";

/**
 * Update{Note} of a comment we hold: only by its author (SECURITY #15) —
 * the Update's verified actor must be the stored author and the new Note
 * must be that actor's own (trustedNoteOf). The content is sanitised again;
 * an edit of an approved comment may send it back for approval
 * (src/comments/comment-policy.ts).
 */
export async function onNoteUpdate(ctx: InboxContext<HavenContext>, update: Update): Promise<void> {
  const actorId = update.actorId;
  if (actorId == null || update.objectId == null) return;
  const stored = await findCommentByIri(ctx.data.db, update.objectId.href);
  if (!stored || stored.authorIri !== actorId.href) return;
  const standing = await ctx.data.moderation.decideForActor(actorId.href);
  if (standing.action === "reject") return;
  const note = await trustedNoteOf(ctx, update, actorId);
  const fields = note ? readRemoteNote(note) : null;
  if (!fields) return;
  const circumstances = await circumstancesOf(ctx, stored.video, {
    fields,
    author: actorId,
    standing: standing.action,
    mediaDescriptions: note ? await mediaDescriptionsOf(note) : [],
  });
  // Narrowed to followers or mentions only: no longer for a public page.
  if (!fields.isPublic) Object.assign(circumstances, { policy: "approval", trusted: false });
  await applyAuthorEdit(ctx.data.db, stored.comment.id, fields, {
    editedAt: fields.updated ?? new Date(),
    verdict: verdictAfterEdit(stored.comment.state, circumstances),
  });
}
