import { displayHandle } from "../../comments/author-display.ts";
import type { CommentWithAuthor } from "../../comments/comment.service.ts";
import { cleanDisplayName } from "../../comments/sanitize-html.ts";

/**
 * The API view of a reply, close to Mastodon's Status: `content` is the
 * sanitised HTML, `spoiler_text` the content warning, `account` the author
 * (`acct` is the real handle; `display_name` cleaned of reordering marks).
 */
export function commentJson({ comment, author }: CommentWithAuthor) {
  return {
    id: comment.id,
    uri: comment.iri,
    url: comment.url,
    video_id: comment.videoId,
    in_reply_to_id: comment.parentId,
    in_reply_to_uri: comment.inReplyToIri,
    state: comment.state,
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
