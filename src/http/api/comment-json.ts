import { displayHandle } from "../../comments/author-display.ts";
import type { CommentWithAuthor } from "../../comments/comment.service.ts";
import { cleanDisplayName } from "../../comments/sanitize-html.ts";

/**
 * The API view of a reply, close to Mastodon's Status: `content` is the
 * sanitised HTML, `spoiler_text` the content warning, `account` the author
 * (`acct` is the real handle; `display_name` cleaned of reordering marks).
 * `forModerators`: the view of the moderation queue, with why it was held.
 */
export function commentJson({ comment, author }: CommentWithAuthor, forModerators = false) {
  return {
    id: comment.id,
    uri: comment.iri,
    url: comment.url,
    video_id: comment.videoId,
    in_reply_to_id: comment.parentId,
    in_reply_to_uri: comment.inReplyToIri,
    state: comment.state,
    // Why it was held (policy, watched_word, silenced_domain, lockdown) and the word that
    // matched: for the channel's moderators only (a word list is not for the public).
    held_reason: forModerators ? comment.heldReason : null,
    held_word: forModerators ? comment.heldWord : null,
    content: comment.content,
    spoiler_text: comment.summary ?? "",
    sensitive: comment.sensitive,
    language: comment.language,
    created_at: comment.publishedAt.toISOString(),
    edited_at: comment.editedAt?.toISOString() ?? null,
    account: {
      uri: author.iri,
      acct: displayHandle(author.handle, author.iri),
      display_name: cleanDisplayName(author.displayName),
      url: author.url,
      domain: author.domain,
    },
  };
}
