/**
 * Which state a reply from another server gets. Pure rules, one place:
 * the inbox applies them to new replies and to edits.
 */

export type CommentState = "held" | "visible" | "rejected";
export type CommentsPolicy = "open" | "approval" | "closed";
/** What moderation says about the author (ModerationDecision.action). */
export type AuthorStanding = "accept" | "silence" | "reject";

/**
 * A new reply: dropped (null) when comments are closed or the author is
 * rejected; held when the channel approves comments or the author's domain
 * is silenced; otherwise visible at once.
 */
export function initialCommentState(
  policy: CommentsPolicy,
  author: AuthorStanding,
): CommentState | null {
  if (policy === "closed" || author === "reject") return null;
  if (policy === "approval" || author === "silence") return "held";
  return "visible";
}

/**
 * An edit by the author. An approved comment could otherwise be edited into
 * something nobody approved, so wherever a new reply would be held (or
 * dropped) the edited one goes back to `held`; a rejected one stays rejected.
 */
export function stateAfterEdit(
  current: CommentState,
  policy: CommentsPolicy,
  author: AuthorStanding,
): CommentState {
  if (current !== "visible") return current;
  return initialCommentState(policy, author) === "visible" ? "visible" : "held";
}
