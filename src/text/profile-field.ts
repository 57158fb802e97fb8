import { escapeHtml, safeHttpUrl, shortLinkHtml } from "./html.ts";

/** Mastodon's rel on profile-field links (`TextFormatter` with `with_rel_me`). */
const FIELD_LINK_REL = "nofollow noopener me";

const URL_IN_TEXT = /https?:\/\/[^\s<>"'`]{1,2000}/g;
/** Trailing punctuation after a URL belongs to the sentence, not the URL. */
const URL_TRAILER = /[.,;:!?)\]}]+$/;

/**
 * A profile field's value as Mastodon formats its own (escaped text, every
 * http(s) URL a link, no paragraphs). A value that is only a URL becomes one
 * `<a>` whose text is exactly its `href`: the only form Mastodon verifies
 * (`Account::Field#extract_url_from_html`, then the `rel="me"` link back).
 */
export function profileFieldValueHtml(value: string): string {
  let html = "";
  let last = 0;
  for (const match of value.matchAll(URL_IN_TEXT)) {
    const url = match[0].replace(URL_TRAILER, "");
    if (!safeHttpUrl(url)) continue;
    html += escapeHtml(value.slice(last, match.index)) + shortLinkHtml(url, FIELD_LINK_REL);
    last = match.index + url.length;
  }
  return html + escapeHtml(value.slice(last));
}
