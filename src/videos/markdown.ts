/**
 * A deliberately tiny Markdown subset for video descriptions, rendered to
 * HTML that is safe to federate and to show: every character of the input is
 * escaped first-hand (no HTML passes through), and only these constructs
 * produce markup: paragraphs (blank line), line breaks, `**bold**`, `*em*`,
 * `[text](https://…)` and bare http(s) URLs. Links get
 * `rel="nofollow noopener noreferrer"`; any other scheme stays plain text.
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

const LINK_REL = "nofollow noopener noreferrer";

/** An http(s) URL, normalised, or null. */
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

export function linkHtml(href: string, innerHtml: string): string {
  return `<a href="${escapeHtml(href)}" rel="${LINK_REL}">${innerHtml}</a>`;
}

// One alternation, tried left to right at each position: a Markdown link,
// a bare URL, bold, emphasis. Bounded quantifiers keep it linear.
const INLINE =
  /\[([^\]\n]{1,1000})\]\(([^()\s]{1,2000})\)|(https?:\/\/[^\s<>"'`]{1,2000})|\*\*([^*\n]{1,2000})\*\*|\*([^*\n]{1,2000})\*/g;

/** Trailing punctuation after a bare URL belongs to the sentence, not the URL. */
const URL_TRAILER = /[.,;:!?)\]}]+$/;

function renderInline(text: string, allowLinks: boolean): string {
  let html = "";
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    const start = match.index;
    const [whole, linkText, linkUrl, bareUrl, bold, em] = match;
    let consumed = whole;
    let piece: string | null = null;
    if (linkText !== undefined && linkUrl !== undefined) {
      const href = allowLinks ? safeHttpUrl(linkUrl) : null;
      piece = href ? linkHtml(href, renderInline(linkText, false)) : null;
    } else if (bareUrl !== undefined) {
      const trimmed = bareUrl.replace(URL_TRAILER, "");
      const href = allowLinks ? safeHttpUrl(trimmed) : null;
      if (href) {
        piece = linkHtml(href, escapeHtml(trimmed));
        consumed = trimmed;
      }
    } else if (bold !== undefined) {
      piece = `<strong>${renderInline(bold, allowLinks)}</strong>`;
    } else if (em !== undefined) {
      piece = `<em>${renderInline(em, allowLinks)}</em>`;
    }
    if (piece === null) continue; // not ours: stays text, escaped below
    html += escapeHtml(text.slice(last, start)) + piece;
    last = start + consumed.length;
    // matchAll resumes after the whole match; a trimmed URL gave back its
    // trailer, which is plain text and is picked up with the next slice.
  }
  return html + escapeHtml(text.slice(last));
}

/** Markdown (subset) → safe HTML paragraphs; "" for blank input. */
export function renderMarkdown(markdown: string): string {
  return markdown
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map(
      (p) =>
        `<p>${p
          .split("\n")
          .map((line) => renderInline(line, true))
          .join("<br>")}</p>`,
    )
    .join("");
}
