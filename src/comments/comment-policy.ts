/**
 * Which state a reply from another server gets, and why it is held. Pure
 * rules, one place: the inbox applies them to new replies and to edits.
 */

export type CommentState = "held" | "visible" | "rejected";
export type CommentsPolicy = "open" | "approval" | "closed";
/** What moderation says about the author (ModerationDecision.action). */
export type AuthorStanding = "accept" | "silence" | "reject";
/** Why a reply waits for a human; shown in the moderation queue. */
export type HeldReason = "policy" | "watched_word" | "silenced_domain" | "lockdown";

/** Everything that decides a reply's fate besides its existence. */
export interface ReplyCircumstances {
  policy: CommentsPolicy;
  author: AuthorStanding;
  /** The author is on the channel's trusted list. */
  trusted: boolean;
  /** The instance or the channel is locked down. */
  lockdown: boolean;
  /** The watched word (as typed by the admin) found in the reply, if any. */
  watchedWord: string | null;
}

export interface ReplyVerdict {
  state: "held" | "visible";
  heldReason: HeldReason | null;
  heldWord: string | null;
}

/**
 * A new reply is dropped (null) when comments are closed or the author is
 * rejected; nothing else is known yet. Cheap: used before any fetch.
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
 * A new reply's verdict. Held, in this order of what the moderator is told:
 * a watched word (even from a trusted author or on an open video: the word
 * is what a moderator most needs to see), a lockdown (everyone), a silenced
 * domain, then the approval policy — which a trusted author passes.
 * Null: not kept (closed comments, rejected author).
 */
export function replyVerdict(c: ReplyCircumstances): ReplyVerdict | null {
  if (c.policy === "closed" || c.author === "reject") return null;
  const held = (heldReason: HeldReason, heldWord: string | null = null): ReplyVerdict => ({
    state: "held",
    heldReason,
    heldWord,
  });
  if (c.watchedWord !== null) return held("watched_word", c.watchedWord);
  if (c.lockdown) return held("lockdown");
  if (c.author === "silence") return held("silenced_domain");
  if (c.policy === "approval" && !c.trusted) return held("policy");
  return { state: "visible", heldReason: null, heldWord: null };
}

/**
 * An edit by the author. An approved comment could otherwise be edited into
 * something nobody approved, so wherever a new reply would be held (or
 * dropped) the edited one goes back to `held`, with the new reason; a held
 * one stays held (with the new reason when the edit earns one); a rejected
 * one stays rejected (null: nothing changes).
 */
export function verdictAfterEdit(
  current: CommentState,
  c: ReplyCircumstances,
): ReplyVerdict | null {
  if (current === "rejected") return null;
  const fresh = replyVerdict(c) ?? held(c.author === "silence" ? "silenced_domain" : "policy");
  if (current === "held" && fresh.state === "visible") return null;
  return fresh;
}

function held(heldReason: HeldReason): ReplyVerdict {
  return { state: "held", heldReason, heldWord: null };
}
