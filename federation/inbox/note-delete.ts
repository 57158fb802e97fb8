import type { InboxContext } from "@fedify/fedify";
import type { Delete } from "@fedify/vocab";
import { deleteCommentOfAuthor } from "../../src/comments/comment.service.ts";
import type { HavenContext } from "../context.ts";

/**
 * Delete of a comment we hold (Mastodon embeds a Tombstone with the Note's
 * id; others send the id or the Note): removed only when the Delete's
 * verified actor is the comment's author (SECURITY #15). Nothing is fetched.
 */
export async function onNoteDelete(ctx: InboxContext<HavenContext>, del: Delete): Promise<void> {
  if (del.actorId == null || del.objectId == null) return;
  await deleteCommentOfAuthor(ctx.data.db, del.objectId.href, del.actorId.href);
}
