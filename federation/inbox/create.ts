import type { InboxContext } from "@fedify/fedify";
import { type Create, Note } from "@fedify/vocab";
import { findCommentByIri } from "../../src/comments/comment.service.ts";
import { initialCommentState } from "../../src/comments/comment-policy.ts";
import { wasDeleted } from "../../src/comments/deleted-notes.service.ts";
import type { HavenContext } from "../context.ts";
import { mediaDescriptionsOf, readRemoteNote } from "../objects/remote-note.ts";
import { resolveReplyThread, storeAncestors, storeReply } from "./reply-thread.ts";
import { trustedNoteOf } from "./trusted-note.ts";

/** Reads an embedded object without fetching a referenced one (which comes back null). */
const EMBEDDED_ONLY = {
  documentLoader: () => Promise.reject(new Error("embedded objects only")),
  crossOrigin: "trust",
  suppressError: true,
} as const;

/**
 * Create{Note} replying to one of our videos (its Note or its Video) or to a
 * comment on one: a comment, held or visible per the video's policy and the
 * author's standing. A reply to a comment we do not have is kept when its
 * missing parents, fetched (reply-thread.ts), lead to one of our videos;
 * they are stored as comments too, by the same rules. A Create whose Note
 * its author already deleted (deleted-notes.service.ts) is dropped. Anything else is
 * ignored, and so is a reply not addressed to the public (followers-only or
 * direct: not for a public page). Duplicates (retries, shared and personal
 * inbox at once) end as one row: the Note id is unique.
 */
export async function onCreate(ctx: InboxContext<HavenContext>, create: Create): Promise<void> {
  const actorId = create.actorId;
  if (actorId == null || create.objectId == null) return;
  const db = ctx.data.db;

  // Cheap filters before any fetch: not a reply as sent (most posts reply to
  // nothing: no query at all), or already stored.
  const sent = await create.getObject(EMBEDDED_ONLY).catch(() => null);
  if (sent != null && !(sent instanceof Note)) return;
  if (sent != null && sent.replyTargetId == null) return;
  if (await findCommentByIri(db, create.objectId.href)) return;
  // Its author deleted it (or their account) before this Create arrived:
  // deliveries come out of order, and the Delete must win.
  if (await wasDeleted(db, actorId.href, create.objectId.href)) return;

  const standing = await ctx.data.moderation.decideForActor(actorId.href);
  if (standing.action === "reject") return;

  const note = await trustedNoteOf(ctx, create, actorId);
  const fields = note ? readRemoteNote(note) : null;
  // A followers-only or direct reply was not meant for a public page.
  if (!fields?.isPublic) return;
  // Usually the parent is known: one query, no fetch.
  const thread = await resolveReplyThread(ctx, fields);
  if (!thread) return;
  // Closed comments or a rejected author: nothing of the thread is kept.
  if (initialCommentState(thread.target.video.commentsPolicy, standing.action) === null) return;
  const target = await storeAncestors(ctx, thread);
  if (!target) return;
  const mediaDescriptions = note ? await mediaDescriptionsOf(note) : [];
  await storeReply(
    ctx,
    { fields, author: actorId, standing: standing.action, mediaDescriptions },
    target,
  );
}
