import { renderMarkdown } from "../videos/markdown.ts";
import { htmlToPlainText } from "./sanitize-html.ts";

/**
 * PeerTube comments as HTML. PeerTube 6.3 sends a comment's `content` as the
 * Markdown its user typed, with `mediaType: "text/markdown"`
 * (VideoCommentModel#toActivityPubObject), and renders it with markdown-it
 * limited to links, bare URLs, emphasis, line breaks, entities, lists and
 * inline HTML that its sanitizer then filters. We render the same subset
 * through the description renderer (which escapes every character itself);
 * the result still goes through the remote-HTML allow-list when stored, like
 * any reply.
 */

/**
 * `<https://…>` and `<name@host>` are Markdown autolinks, not tags: kept as
 * bare text before tags are removed (a bare URL becomes a link below).
 */
const AUTOLINK = /<((?:https?:\/\/|mailto:)[^\s<>]{1,2000}|[^\s<>@]{1,200}@[^\s<>@]{1,200})>/gi;

/**
 * HTML typed into a comment is not markup here: elements that carry code
 * (`<script>`, `<style>`, `<iframe>`…) go with what is inside them, any
 * other tag goes and its text stays — close to what PeerTube's own page
 * shows after its sanitizer, and never the tag syntax itself.
 */
function withoutHtml(markdown: string): string {
  const unwrapped = markdown.replace(
    AUTOLINK,
    // A space keeps a bare URL from running into the text after the `>`.
    (match: string, inner: string, at: number, all: string) =>
      /\S/.test(all[at + match.length] ?? "") ? `${inner} ` : inner,
  );
  // htmlToPlainText keeps line structure (the Markdown's blocks) and
  // decodes what it escaped; renderMarkdown escapes it all again.
  return htmlToPlainText(unwrapped);
}

/** A `text/markdown` comment as HTML: paragraphs, breaks, bold, emphasis, links, lists. */
export function commentMarkdownToHtml(markdown: string): string {
  // The description renderer does the Markdown (lists, autolinks, bare URLs);
  // hashtags stay text: a comment's tags are its author's, not this instance's.
  return renderMarkdown(withoutHtml(markdown.replace(/\r\n?/g, "\n")));
}
