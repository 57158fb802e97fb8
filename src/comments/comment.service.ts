import { and, asc, count, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { remoteActors, supportVideos, videoComments } from "../db/schema/index.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import type { CommentState, HeldReason, ReplyVerdict } from "./comment-policy.ts";
import { htmlToPlainText, sanitizeRemoteHtml } from "./sanitize-html.ts";

export type VideoComment = typeof videoComments.$inferSelect;
type RemoteActorRow = typeof remoteActors.$inferSelect;
type SupportVideoRow = typeof supportVideos.$inferSelect;

/** Remote HTML longer than this is not a comment we keep (PeerTube caps text at 10,000). */
export const MAX_COMMENT_HTML = 64 * 1024;
const MAX_SUMMARY = 1_000;

/** What a reply says, as received (HTML not yet sanitised). */
export interface CommentBody {
  html: string;
  /** Content warning; remote HTML or text. */
  summary: string | null;
  sensitive: boolean;
  language: string | null;
}

export interface IncomingComment extends CommentBody {
  iri: string;
  videoId: string;
  authorId: string;
  parentId: string | null;
  inReplyToIri: string;
  url: string | null;
  publishedAt: Date | null;
  state: CommentState;
  /** Why it is held (comment-policy.ts); absent when visible. */
  heldReason?: HeldReason | null;
  heldWord?: string | null;
}

function cleanBody(body: CommentBody) {
  const summary = body.summary ? htmlToPlainText(body.summary).slice(0, MAX_SUMMARY) : "";
  return {
    content: sanitizeRemoteHtml(body.html),
    summary: summary || null,
    // A content warning hides the text on Mastodon; keep that meaning here.
    sensitive: body.sensitive || summary !== "",
    language: body.language?.slice(0, 35) ?? null,
  };
}

/** Stores a reply once; null when it was already there (duplicate delivery). */
export async function insertRemoteComment(
  db: Db,
  input: IncomingComment,
): Promise<VideoComment | null> {
  if (input.html.length > MAX_COMMENT_HTML) return null;
  const [row] = await db
    .insert(videoComments)
    .values({
      iri: input.iri,
      videoId: input.videoId,
      authorId: input.authorId,
      parentId: input.parentId,
      inReplyToIri: input.inReplyToIri,
      url: input.url,
      state: input.state,
      heldReason: input.heldReason ?? null,
      heldWord: input.heldWord ?? null,
      ...cleanBody(input),
      ...(input.publishedAt ? { publishedAt: input.publishedAt } : {}),
    })
    .onConflictDoNothing({ target: videoComments.iri })
    .returning();
  return row ?? null;
}

export interface StoredComment {
  comment: VideoComment;
  authorIri: string;
  video: SupportVideoRow;
}

/** A stored comment by its Note id, with its author's IRI and its video. */
export async function findCommentByIri(db: Db, iri: string): Promise<StoredComment | null> {
  const [row] = await db
    .select({ comment: videoComments, authorIri: remoteActors.iri, video: supportVideos })
    .from(videoComments)
    .innerJoin(remoteActors, eq(remoteActors.id, videoComments.authorId))
    .innerJoin(supportVideos, eq(supportVideos.id, videoComments.videoId))
    .where(eq(videoComments.iri, iri))
    .limit(1);
  return row ?? null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findCommentById(db: Db, id: string): Promise<StoredComment | null> {
  if (!UUID.test(id)) return null;
  const [row] = await db
    .select({ comment: videoComments, authorIri: remoteActors.iri, video: supportVideos })
    .from(videoComments)
    .innerJoin(remoteActors, eq(remoteActors.id, videoComments.authorId))
    .innerJoin(supportVideos, eq(supportVideos.id, videoComments.videoId))
    .where(eq(videoComments.id, id))
    .limit(1);
  return row ?? null;
}

/** The author changed its reply: new sanitised content, `editedAt`, and the state the edit earns. */
export async function applyAuthorEdit(
  db: Db,
  commentId: string,
  body: CommentBody,
  edit: { editedAt: Date; verdict: ReplyVerdict | null },
): Promise<void> {
  if (body.html.length > MAX_COMMENT_HTML) return;
  const verdict = edit.verdict;
  await db
    .update(videoComments)
    .set({
      ...cleanBody(body),
      editedAt: edit.editedAt,
      // No verdict: the state (and why it was held) stays as it was.
      ...(verdict
        ? { state: verdict.state, heldReason: verdict.heldReason, heldWord: verdict.heldWord }
        : {}),
    })
    .where(eq(videoComments.id, commentId));
}

/** Deletes a reply if (and only if) `authorIri` wrote it. */
export async function deleteCommentOfAuthor(
  db: Db,
  iri: string,
  authorIri: string,
): Promise<boolean> {
  const found = await findCommentByIri(db, iri);
  if (!found || found.authorIri !== authorIri) return false;
  await db.delete(videoComments).where(eq(videoComments.id, found.comment.id));
  return true;
}

/** A channel manager approves (`visible`) or rejects (`rejected`, kept hidden) a reply. */
/**
 * A moderator approves or rejects a reply. A held reply to the video itself
 * that is decided here is answered to its author's server (an `Accept` or a
 * `Reject`, `comment.moderated`), in the same transaction: servers that
 * honour the Note's interaction policy (GoToSocial) show the reply as
 * pending until then.
 */
export async function moderateComment(
  db: Db,
  events: OutboundEvents,
  commentId: string,
  state: "visible" | "rejected",
  accountId: string,
): Promise<VideoComment | null> {
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ state: videoComments.state, parentId: videoComments.parentId })
      .from(videoComments)
      .where(eq(videoComments.id, commentId))
      .for("update");
    const [row] = await tx
      .update(videoComments)
      .set({ state, moderatedAt: new Date(), moderatedBy: accountId })
      .where(eq(videoComments.id, commentId))
      .returning();
    if (row && before?.state === "held" && before.parentId === null) {
      await events.record(tx, { type: "comment.moderated", commentId, state });
    }
    return row ?? null;
  });
}

export async function deleteComment(db: Db, commentId: string): Promise<boolean> {
  const rows = await db
    .delete(videoComments)
    .where(eq(videoComments.id, commentId))
    .returning({ id: videoComments.id });
  return rows.length > 0;
}

export interface CommentWithAuthor {
  comment: VideoComment;
  author: Pick<RemoteActorRow, "iri" | "handle" | "displayName" | "url" | "domain">;
}

/** The author's columns a comment is shown with (what `CommentWithAuthor` carries). */
export const COMMENT_AUTHOR_COLUMNS = {
  iri: remoteActors.iri,
  handle: remoteActors.handle,
  displayName: remoteActors.displayName,
  url: remoteActors.url,
  domain: remoteActors.domain,
};

function selectWithAuthor(db: Db) {
  return db
    .select({ comment: videoComments, author: COMMENT_AUTHOR_COLUMNS })
    .from(videoComments)
    .innerJoin(remoteActors, eq(remoteActors.id, videoComments.authorId));
}

/** Replies to a video in the given states, oldest first (threads read top-down). */
export async function listVideoComments(
  db: Db,
  videoId: string,
  options: { states: readonly CommentState[]; limit: number; offset?: number },
): Promise<CommentWithAuthor[]> {
  return selectWithAuthor(db)
    .where(
      and(eq(videoComments.videoId, videoId), inArray(videoComments.state, [...options.states])),
    )
    .orderBy(asc(videoComments.publishedAt), asc(videoComments.id))
    .limit(options.limit)
    .offset(options.offset ?? 0);
}

export async function findCommentWithAuthor(
  db: Db,
  commentId: string,
): Promise<CommentWithAuthor | null> {
  if (!UUID.test(commentId)) return null;
  const [row] = await selectWithAuthor(db).where(eq(videoComments.id, commentId)).limit(1);
  return row ?? null;
}

/** How many replies to a video are in the given states. */
export async function countVideoComments(
  db: Db,
  videoId: string,
  states: readonly CommentState[],
): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(videoComments)
    .where(and(eq(videoComments.videoId, videoId), inArray(videoComments.state, [...states])));
  return row?.n ?? 0;
}
