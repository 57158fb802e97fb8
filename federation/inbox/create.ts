import type { InboxContext } from "@fedify/fedify";
import { type Create, Note } from "@fedify/vocab";
import { findCommentByIri, insertRemoteComment } from "../../src/comments/comment.service.ts";
import { initialCommentState } from "../../src/comments/comment-policy.ts";
import type { HavenContext } from "../context.ts";
import { readRemoteNote } from "../objects/remote-note.ts";
import { resolveReplyTarget } from "./interaction-target.ts";
import { recentOrFetchedActor } from "./remote-author.ts";
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
 * author's standing. Anything else is ignored, and so is a reply not
 * addressed to the public (followers-only or direct: not for a public page).
 * Duplicates (retries, shared and personal inbox at once) end as one row:
 * the Note id is unique.
 */
export async function onCreate(ctx: InboxContext<HavenContext>, create: Create): Promise<void> {
  const actorId = create.actorId;
  if (actorId == null || create.objectId == null) return;
  const db = ctx.data.db;

  // Cheap filters before any fetch: not a reply to us as sent (most posts
  // reply to nothing: no query at all), or already stored.
  const sent = await create.getObject(EMBEDDED_ONLY).catch(() => null);
  if (sent != null && !(sent instanceof Note)) return;
  const sentTarget = sent ? await resolveReplyTarget(ctx, sent.replyTargetId) : null;
  if (sent && !sentTarget) return;
  if (await findCommentByIri(db, create.objectId.href)) return;

  const standing = await ctx.data.moderation.decideForActor(actorId.href);
  if (standing.action === "reject") return;

  const note = await trustedNoteOf(ctx, create, actorId);
  const fields = note ? readRemoteNote(note) : null;
  // A followers-only or direct reply was not meant for a public page.
  if (!fields?.isPublic) return;
  // Usually the embedded Note is the trusted one: its target is already known.
  const target =
    sentTarget && sent?.replyTargetId?.href === fields.inReplyTo?.href
      ? sentTarget
      : await resolveReplyTarget(ctx, fields.inReplyTo);
  if (!target) return;
  const state = initialCommentState(target.video.commentsPolicy, standing.action);
  if (state === null) return;

  const author = await recentOrFetchedActor(ctx, actorId);
  if (!author) return;
  await insertRemoteComment(db, {
    ...fields,
    videoId: target.video.id,
    authorId: author.id,
    parentId: target.parent?.id ?? null,
    inReplyToIri: fields.inReplyTo?.href ?? "",
    publishedAt: fields.published,
    state,
  });
}
