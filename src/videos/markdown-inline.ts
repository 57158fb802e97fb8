import { escapeHtml, hashtagHtml, linkHtml, safeHttpUrl, shortLinkHtml } from "../text/html.ts";

export interface InlineOptions {
  /** Links (Markdown, `<autolinks>`, bare URLs) become `<a>`; inside a link's text they do not. */
  readonly links: boolean;
  /** Where `#tag` links to; without it hashtags stay text (pages with no tag listing). */
  readonly hashtagHref?: (name: string) => string;
  /** Told every hashtag that was linked, so the Note can list it in `tag`. */
  readonly onHashtag?: (name: string) => void;
}

// One alternation, tried left to right at each position: a Markdown link, an
// autolink, a bare URL, a hashtag, inline code, bold, emphasis. Bounded
// quantifiers keep it linear.
const INLINE = new RegExp(
  [
    /\[([^\]\n]{1,1000})\]\(([^()\s]{1,2000})\)/.source,
    /<(https?:\/\/[^\s<>]{1,2000})>/.source,
    /(https?:\/\/[^\s<>"'`]{1,2000})/.source,
    // Mastodon's rule: a hashtag does not follow a letter, digit, `_`, `/`, `)` or `=`
    // (so `page#anchor` and `&#39;` are not hashtags).
    /(?<![\p{L}\p{N}_/)=&#])#([\p{L}\p{N}_]{1,30})(?![\p{L}\p{N}_])/u.source,
    /`([^`\n]{1,2000})`/.source,
    /\*\*([^*\n]{1,2000})\*\*/.source,
    /\*([^*\n]{1,2000})\*/.source,
  ].join("|"),
  "gu",
);

/** Trailing punctuation after a bare URL belongs to the sentence, not the URL. */
const URL_TRAILER = /[.,;:!?)\]}]+$/;

/** One line of the subset → safe HTML. */
export function renderInline(text: string, options: InlineOptions): string {
  let html = "";
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const start = match.index;
    const [whole, linkText, linkUrl, autolink, bareUrl, hashtag, code, bold, em] = match;
    let consumed = whole;
    let piece: string | null = null;
    if (linkText !== undefined && linkUrl !== undefined) {
      const href = options.links ? safeHttpUrl(linkUrl) : null;
      piece = href ? linkHtml(href, renderInline(linkText, { links: false })) : null;
    } else if (autolink !== undefined) {
      // `<url>`: the brackets are Markdown's, not part of what is shown.
      piece = options.links && safeHttpUrl(autolink) ? shortLinkHtml(autolink) : null;
    } else if (bareUrl !== undefined) {
      const trimmed = bareUrl.replace(URL_TRAILER, "");
      if (options.links && safeHttpUrl(trimmed)) {
        piece = shortLinkHtml(trimmed);
        consumed = trimmed;
      }
    } else if (hashtag !== undefined) {
      // `#1` is a number, not a tag (Mastodon wants a letter or `_`).
      if (options.hashtagHref && options.links && !/^\d+$/.test(hashtag)) {
        piece = hashtagHtml(hashtag, options.hashtagHref(hashtag));
        options.onHashtag?.(hashtag);
      }
    } else if (code !== undefined) {
      piece = `<code>${escapeHtml(code)}</code>`;
    } else if (bold !== undefined) {
      piece = `<strong>${renderInline(bold, options)}</strong>`;
    } else if (em !== undefined) {
      piece = `<em>${renderInline(em, options)}</em>`;
    }
    if (piece === null) continue; // not ours: stays text, escaped below
    html += escapeHtml(text.slice(last, start)) + piece;
    last = start + consumed.length;
    // matchAll resumes after the whole match; a trimmed URL gave back its
    // trailer, which is plain text and is picked up with the next slice.
  }
  return html + escapeHtml(text.slice(last));
}
