import { renderMarkdown } from "../videos/markdown.ts";
import { htmlToPlainText } from "./sanitize-html.ts";

/**
 * PeerTube comments as HTML. PeerTube 6.3 sends a comment's `content` as the
 * Markdown its user typed, with `mediaType: "text/markdown"`
 * (VideoCommentModel#toActivityPubObject), and renders it with markdown-it
 * limited to links, bare URLs, emphasis, line breaks, entities, lists and
 * inline HTML that its sanitizer then filters. We render the same subset,
 * through the description renderer (which escapes every character itself)
 * plus lists; the result still goes through the remote-HTML allow-list when
 * stored, like any reply.
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

/** `- item`, `* item`, `+ item`, `1. item`, `1) item` (CommonMark list markers). */
const LIST_ITEM = /^[ \t]{0,3}(?:([-*+])|(\d{1,9})[.)])[ \t]+(\S.*)$/;
/** A nested marker is shown in its parent list (flattened), not as text. */
const NESTED_ITEM = /^[ \t]{2,}(?:[-*+]|\d{1,9}[.)])[ \t]+(\S.*)$/;

type Block = { kind: "text"; lines: string[] } | { kind: "ol" | "ul"; items: string[][] };

function inline(text: string): string {
  // One paragraph of the description renderer, without its <p>.
  return renderMarkdown(text).replace(/^<p>|<\/p>$/g, "");
}

function blocksOf(paragraph: string): Block[] {
  const blocks: Block[] = [];
  for (const line of paragraph.split("\n")) {
    const last = blocks.at(-1);
    const item = LIST_ITEM.exec(line) ?? null;
    const nested = last && last.kind !== "text" ? NESTED_ITEM.exec(line) : null;
    if (last && last.kind !== "text" && nested) {
      last.items.push([nested[1] ?? ""]);
    } else if (item) {
      const kind = item[1] ? "ul" : "ol";
      if (last?.kind === kind) last.items.push([item[3] ?? ""]);
      else blocks.push({ kind, items: [[item[3] ?? ""]] });
    } else if (last && last.kind !== "text" && /^[ \t]/.test(line)) {
      // An indented line continues the item above it.
      last.items.at(-1)?.push(line.trim());
    } else if (last?.kind === "text") {
      last.lines.push(line);
    } else {
      blocks.push({ kind: "text", lines: [line] });
    }
  }
  return blocks;
}

function blockHtml(block: Block): string {
  if (block.kind === "text") return renderMarkdown(block.lines.join("\n"));
  const items = block.items.map((lines) => `<li>${lines.map(inline).join("<br>")}</li>`);
  return `<${block.kind}>${items.join("")}</${block.kind}>`;
}

/** A `text/markdown` comment as HTML: paragraphs, breaks, bold, emphasis, links, lists. */
export function commentMarkdownToHtml(markdown: string): string {
  return withoutHtml(markdown.replace(/\r\n?/g, "\n"))
    .split(/\n[ \t]*\n/)
    .flatMap((paragraph) => blocksOf(paragraph.replace(/^\n+|\n+$/g, "")))
    .reduce<Block[]>((blocks, block) => {
      // Items separated by blank lines are still one list (a "loose" list).
      const last = blocks.at(-1);
      if (last && last.kind !== "text" && last.kind === block.kind) {
        last.items.push(...(block as typeof last).items);
      } else blocks.push(block);
      return blocks;
    }, [])
    .map(blockHtml)
    .filter((html) => html !== "")
    .join("");
}
