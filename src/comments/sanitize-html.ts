import sanitizeHtml from "sanitize-html";

/**
 * Remote HTML (replies from Mastodon, PeerTube…) through an allow-list
 * (SECURITY #29, Mastodon CVE-2023-36459). Close to Mastodon's own
 * `Sanitize::Config::MASTODON_STRICT`: text formatting, links and the
 * mention/hashtag markup, nothing else.
 */

/** Elements dropped together with everything inside them (not just unwrapped). */
const DROPPED_WITH_CONTENT = [
  "script",
  "style",
  "textarea",
  "option",
  "select",
  "noscript",
  "iframe",
  "frame",
  "frameset",
  "object",
  "embed",
  "applet",
  "svg",
  "math",
  "template",
  "title",
  "head",
  "xmp",
  "noembed",
  "noframes",
  "video",
  "audio",
  "canvas",
  "button",
];

const ALLOWED_TAGS = [
  "p",
  "br",
  "a",
  "span",
  "strong",
  "em",
  "b",
  "i",
  "u",
  "del",
  "s",
  "code",
  "pre",
  "blockquote",
  "ul",
  "ol",
  "li",
];

/** External links never pass our origin as referrer and carry no ranking. */
export const LINK_REL = "nofollow noopener noreferrer";

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: { a: ["href", "rel", "target", "class"], span: ["class"] },
  // Mastodon marks mentions `<span class="h-card"><a class="u-url mention">`,
  // hashtags `<a class="mention hashtag">`; any other class is removed.
  allowedClasses: { a: ["mention", "hashtag", "u-url"], span: ["h-card", "mention", "hashtag"] },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ["href"],
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  nonTextTags: DROPPED_WITH_CONTENT,
  // Whatever rel/target the sender set is replaced.
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...attribs, rel: LINK_REL, target: "_blank" },
    }),
  },
};

/** Sanitised HTML, safe to insert into our pages as is. */
export function sanitizeRemoteHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS).trim();
}

const TEXT_ONLY: sanitizeHtml.IOptions = {
  allowedTags: [],
  allowedAttributes: {},
  nonTextTags: DROPPED_WITH_CONTENT,
};

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
};

/**
 * Plain text of remote HTML (a content warning, a report's comment): tags
 * gone, entities decoded. The result must still be escaped on output, which
 * our JSX and JSON do.
 */
export function htmlToPlainText(html: string): string {
  const withBreaks = html.replace(/<br\s*\/?>/gi, "\n").replace(/<\/p>\s*<p[^>]*>/gi, "\n\n");
  return sanitizeHtml(withBreaks, TEXT_ONLY)
    .replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e] ?? e)
    .trim();
}

/**
 * Characters that reorder or hide text (SECURITY #30): bidi embeddings,
 * overrides and isolates, zero-width space/non-joiner, word joiner, BOM.
 * The zero-width joiner stays: emoji sequences need it.
 */
const HIDDEN_OR_REORDERING =
  /[\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** A remote display name fit to show (still to be isolated with `<bdi>`). */
export function cleanDisplayName(name: string, maxLength = 100): string {
  const cleaned = name
    .replace(HIDDEN_OR_REORDERING, "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip
    .replace(/[\u0000-\u001F\u007F-\u009F]/g, " ")
    .trim();
  return [...cleaned].slice(0, maxLength).join("");
}
