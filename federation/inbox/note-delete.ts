import type { InboxContext } from "@fedify/fedify";
import type { Delete } from "@fedify/vocab";
import { deleteCommentOfAuthor } from "../../src/comments/comment.service.ts";
import { rememberDeletion } from "../../src/comments/deleted-notes.service.ts";
import type { HavenContext } from "../context.ts";

/**
 * Delete of a comment we hold (Mastodon embeds a Tombstone with the Note's
 * id; others send the id or the Note): removed only when the Delete's
 * verified actor is the comment's author (SECURITY #15). Nothing is fetched.
 * A Delete of a Note we do not hold may have overtaken its Create: it is
 * remembered for a while, for that author only, so the late Create is dropped.
 */
export async function onNoteDelete(ctx: InboxContext<HavenContext>, del: Delete): Promise<void> {
  if (del.actorId == null || del.objectId == null) return;
  const deleted = await deleteCommentOfAuthor(ctx.data.db, del.objectId.href, del.actorId.href);
  // Only a same-origin id can be the actor's own Note (trusted-note.ts).
  if (!deleted && del.objectId.origin === del.actorId.origin) {
    await rememberDeletion(ctx.data.db, del.actorId.href, del.objectId.href);
  }
}
