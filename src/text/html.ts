import sanitizeHtml from "sanitize-html";

/**
 * The HTML Haven writes itself (descriptions, bios, profile fields), built
 * from escaped text with a few markup helpers, in the forms Mastodon itself
 * produces so that its clients show them as they show their own.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Links in what we publish: no referrer, no ranking. */
export const LINK_REL = "nofollow noopener noreferrer";

/** An http(s) URL, normalised, or null (other schemes, credentials, unparsable). */
export function safeHttpUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username || url.password) return null;
  return url.href;
}

export function linkHtml(href: string, innerHtml: string, rel = LINK_REL): string {
  return `<a href="${escapeHtml(href)}" rel="${rel}">${innerHtml}</a>`;
}

/** Mastodon's `URL_PREFIX_REGEX`: the part of a URL it hides when showing it. */
const URL_PREFIX = /^(?:https?:\/\/(?:www\.)?|xmpp:)/;
/** Mastodon shows 30 characters of a URL after the prefix, then an ellipsis. */
const SHOWN_CHARACTERS = 30;

/**
 * A URL as Mastodon links one it found in text (`TextFormatter.shortened_link`):
 * the scheme hidden, 30 characters shown, the rest hidden behind an
 * ellipsis. Its text is the URL exactly (hidden spans included), which is
 * what Mastodon requires of a profile field it verifies (`href` == text).
 * `url` must already be a safe http(s) URL (see `safeHttpUrl`).
 */
export function shortLinkHtml(url: string, rel = LINK_REL): string {
  const prefix = URL_PREFIX.exec(url)?.[0] ?? "";
  // Ruby slices by character, not UTF-16 unit: an emoji is never cut in half.
  const rest = Array.from(url.slice(prefix.length));
  const shown = rest.slice(0, SHOWN_CHARACTERS).join("");
  const hidden = rest.slice(SHOWN_CHARACTERS).join("");
  const ellipsis = rest.length > SHOWN_CHARACTERS ? "ellipsis" : "";
  return (
    `<a href="${escapeHtml(url)}" target="_blank" rel="${rel}" translate="no">` +
    `<span class="invisible">${escapeHtml(prefix)}</span>` +
    `<span class="${ellipsis}">${escapeHtml(shown)}</span>` +
    `<span class="invisible">${escapeHtml(hidden)}</span></a>`
  );
}

/** Mastodon's hashtag link (`TextFormatter#link_to_hashtag`); the Note lists it in `tag` too. */
export function hashtagHtml(name: string, href: string): string {
  return `<a href="${escapeHtml(href)}" class="mention hashtag" rel="tag">#<span>${escapeHtml(name)}</span></a>`;
}

/**
 * What our renderers may produce, enforced once more on their output: the
 * part of Mastodon's `MASTODON_STRICT` allow-list they use. Our renderers
 * escape all input; this catches a renderer bug before it federates.
 */
const OWN_HTML: sanitizeHtml.IOptions = {
  allowedTags: ["p", "br", "a", "span", "strong", "em", "code", "ul", "ol", "li"],
  allowedAttributes: {
    a: ["href", "rel", "class", "target", "translate"],
    span: ["class"],
    ol: ["start"],
  },
  allowedClasses: { a: ["mention", "hashtag"], span: ["invisible", "ellipsis"] },
  allowedSchemes: ["http", "https"],
  allowedSchemesByTag: {},
  allowProtocolRelative: false,
  disallowedTagsMode: "escape",
};

export function sanitizeOwnHtml(html: string): string {
  return sanitizeHtml(html, OWN_HTML);
}
