import { sanitizeOwnHtml } from "../text/html.ts";
import { type InlineOptions, renderInline } from "./markdown-inline.ts";

export { escapeHtml, linkHtml, safeHttpUrl } from "../text/html.ts";

/**
 * A deliberately small Markdown subset for video descriptions and bios,
 * rendered to HTML that is safe to federate and to show: every character of
 * the input is escaped first-hand (no HTML passes through), and only these
 * constructs produce markup, in the forms Mastodon keeps (its sanitizer
 * allows p, br, a, span, strong, em, code, ul, ol, li):
 * - blocks: paragraphs (blank line), line breaks, `-`/`*`/`+` and `1.` lists,
 *   `#` headings (as Mastodon shows remote headings: a bold paragraph);
 * - inline: `**bold**`, `*em*`, `` `code` ``, `[text](https://…)`,
 *   `<https://…>` and bare http(s) URLs (any other scheme stays text), and
 *   `#hashtags` when the caller gives them a link.
 * Line breaks inside a paragraph are kept (`<br>`), as PeerTube renders the
 * same description (markdown-it with `breaks: true`).
 */

export interface MarkdownOptions {
  /** `${origin}/tags/`: `#Name` links to `${tagBase}name`; without it, hashtags stay text. */
  readonly tagBase?: string;
}

const BULLET = /^ {0,3}[-*+][ \t]+(\S.*)$/;
const ORDERED = /^ {0,3}(\d{1,9})[.)][ \t]+(\S.*)$/;
const HEADING = /^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/;
/** An indented line after a blank line continues the list item above it. */
const INDENTED = /^(?: {2,}|\t)\S/;

type Block = { kind: "p"; lines: string[] } | { kind: "heading"; text: string } | List;

interface List {
  kind: "ul" | "ol";
  start: number;
  items: string[][];
}

function listItem(line: string): { kind: "ul" | "ol"; number: number; text: string } | null {
  const bullet = BULLET.exec(line);
  if (bullet) return { kind: "ul", number: 1, text: bullet[1]! };
  const ordered = ORDERED.exec(line);
  if (ordered) return { kind: "ol", number: Number(ordered[1]), text: ordered[2]! };
  return null;
}

/** Lines → blocks, following CommonMark where the subset meets it. */
function parseBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  // The paragraph or list that the next line may continue (a heading never is).
  let current: { kind: "p"; lines: string[] } | List | null = null;
  let blankBefore = false;
  for (const line of markdown.replace(/\r\n?/g, "\n").split("\n")) {
    if (line.trim() === "") {
      if (current?.kind === "p") current = null;
      blankBefore = true;
      continue;
    }
    const item = listItem(line);
    const heading = HEADING.exec(line);
    const list = current?.kind === "ul" || current?.kind === "ol" ? current : null;
    if (item && list && list.kind === item.kind) {
      list.items.push([item.text.trim()]); // same list, tight or loose
    } else if (item && (current?.kind !== "p" || item.kind === "ul" || item.number === 1)) {
      // CommonMark: an ordered list interrupts a paragraph only when it starts
      // at 1, so "2024. was hard" inside a sentence stays text.
      current = { kind: item.kind, start: item.number, items: [[item.text.trim()]] };
      blocks.push(current);
    } else if (heading) {
      current = null;
      blocks.push({ kind: "heading", text: heading[1]! });
    } else if (list && (!blankBefore || INDENTED.test(line))) {
      list.items.at(-1)!.push(line.trim()); // lazy or indented continuation
    } else if (current?.kind === "p") {
      current.lines.push(line.trim());
    } else {
      current = { kind: "p", lines: [line.trim()] };
      blocks.push(current);
    }
    blankBefore = false;
  }
  return blocks;
}

function renderLines(lines: readonly string[], inline: InlineOptions): string {
  return lines.map((line) => renderInline(line, inline)).join("<br>");
}

export interface RenderedMarkdown {
  readonly html: string;
  /** The hashtags linked, in order, each once (case-insensitively); none without `tagBase`. */
  readonly hashtags: readonly string[];
}

/**
 * sanitize-html costs ~10× the rendering itself (a 2,000-character
 * description: ~3 ms), and a Note is rebuilt at every fetch and outbox page
 * from a description that rarely changes: renders are kept, bounded. A
 * cached entry is at most ~40 k characters (10,000 of input), so ≤ ~20 MB.
 */
const CACHE_ENTRIES = 256;
const cache = new Map<string, RenderedMarkdown>();

/** Markdown (subset) → safe HTML and the hashtags it links. */
export function renderMarkdownWithHashtags(
  markdown: string,
  options: MarkdownOptions = {},
): RenderedMarkdown {
  const key = `${options.tagBase ?? ""}\u0000${markdown}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // most recently used last
    cache.set(key, hit);
    return hit;
  }
  const seen = new Map<string, string>();
  const tagBase = options.tagBase;
  const html = sanitizeOwnHtml(
    render(markdown, {
      links: true,
      ...(tagBase === undefined
        ? {}
        : {
            // As Mastodon links a tag: its lower-case name under /tags/.
            hashtagHref: (name) => `${tagBase}${encodeURIComponent(name.toLowerCase())}`,
            onHashtag: (name) => {
              if (!seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
            },
          }),
    }),
  );
  const rendered: RenderedMarkdown = { html, hashtags: [...seen.values()] };
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, rendered);
  return rendered;
}

/** Markdown (subset) → safe HTML; "" for blank input. */
export function renderMarkdown(markdown: string, options: MarkdownOptions = {}): string {
  return renderMarkdownWithHashtags(markdown, options).html;
}

function render(markdown: string, inline: InlineOptions): string {
  return parseBlocks(markdown)
    .map((block) => {
      if (block.kind === "p") return `<p>${renderLines(block.lines, inline)}</p>`;
      if (block.kind === "heading") {
        return `<p><strong>${renderInline(block.text, inline)}</strong></p>`;
      }
      const start = block.kind === "ol" && block.start !== 1 ? ` start="${block.start}"` : "";
      const items = block.items.map((lines) => `<li>${renderLines(lines, inline)}</li>`);
      return `<${block.kind}${start}>${items.join("")}</${block.kind}>`;
    })
    .join("");
}
