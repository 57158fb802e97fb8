import { Document, Hashtag, Image, LanguageString, Note, PUBLIC_COLLECTION } from "@fedify/vocab";
import { escapeHtml, hashtagHtml, shortLinkHtml } from "../../src/text/html.ts";
import { type RenderedMarkdown, renderMarkdownWithHashtags } from "../../src/videos/markdown.ts";
import { tagUrl, type VideoFace } from "../videos/video-face.ts";

/** Mastodon keeps at most 1,500 characters of a media description. */
const MAX_MEDIA_DESCRIPTION = 1500;

/**
 * The Note face of a video (INTEROP.md §4.3): a native post by the channel,
 * so Mastodon shows it to the channel's followers, collapses it behind the
 * content warning (`summary`), and plays the MP4 inline from `attachment`
 * (Mastodon never reads `url` for media).
 */
export function buildVideoNote(face: VideoFace, options: { edited?: boolean } = {}): Note {
  const html = noteContentHtml(face);
  const language = face.language ?? undefined;
  // Mastodon reads `updated` as "edited at" and labels the post edited, so a
  // fresh post carries it only once the video really changed.
  const edited =
    options.edited === true || face.updated.getTime() - face.published.getTime() > 1000;
  return new Note({
    id: face.urls.note,
    attribution: face.urls.channel,
    to: PUBLIC_COLLECTION,
    cc: face.urls.channelFollowers,
    summary: face.contentWarning,
    sensitive: face.contentWarning !== null,
    contents: language ? [html, new LanguageString(html, language)] : [html],
    tags: noteHashtags(face).map(
      (tag) => new Hashtag({ name: `#${tag}`, href: tagUrl(face, tag) }),
    ),
    attachments: [videoDocument(face)],
    published: toInstant(face.published),
    updated: edited ? toInstant(face.updated) : null,
    // The Note's own URL, which answers ActivityPub requests with this Note
    // and browsers with the watch page: pasted into Mastodon's search it finds
    // the status followers already have (ADR 0011), where the Video's URL
    // would make Mastodon import a second, converted one.
    url: face.urls.note,
  });
}

/**
 * The MP4 as Mastodon wants it: Document with mediaType, size, poster as
 * `icon`. The file under Mastodon's remote media limit (`face.attachment`):
 * over it Mastodon shows a dead attachment and never retries.
 */
export function videoDocument(face: VideoFace): Document {
  const poster = face.urls.poster;
  const file = face.attachment;
  return new Document({
    mediaType: "video/mp4",
    url: file.url,
    name: mediaDescription(face),
    width: file.width,
    height: file.height,
    icon: poster
      ? new Image({
          url: poster.url,
          mediaType: "image/jpeg",
          width: poster.width,
          height: poster.height,
        })
      : null,
  });
}

/**
 * The video's tags, then the `#hashtags` of its description, each once
 * (case-insensitively): Mastodon indexes a post under the Hashtags of its
 * `tag`, not under the links in its content.
 */
export function noteHashtags(face: VideoFace): string[] {
  const seen = new Set(face.tags.map((tag) => tag.toLowerCase()));
  const fromDescription = renderedDescription(face).hashtags.filter(
    (tag) => !seen.has(tag.toLowerCase()),
  );
  return [...face.tags, ...fromDescription];
}

function renderedDescription(face: VideoFace): RenderedMarkdown {
  return renderMarkdownWithHashtags(face.description, { tagBase: face.urls.tagBase.href });
}

/**
 * Title, description (Markdown → safe HTML, hashtags linked), the tags not
 * already in the description, the Note's own link (see `url`), and for a
 * content-warned video of a channel that chose it, a "Support:" line.
 */
export function noteContentHtml(face: VideoFace): string {
  const description = renderedDescription(face);
  const parts = [`<p><strong>${escapeHtml(face.title)}</strong></p>`, description.html];
  const inDescription = new Set(description.hashtags.map((t) => t.toLowerCase()));
  const links = face.tags
    .filter((tag) => !inDescription.has(tag.toLowerCase()))
    .map((tag) => hashtagHtml(tag, tagUrl(face, tag).href));
  if (links.length > 0) parts.push(`<p>${links.join(" ")}</p>`);
  parts.push(`<p>${shortLinkHtml(face.urls.note.href)}</p>`);
  // Last and short: readers opening the warning come for the video; the line
  // is a way out for anyone it unsettles, not the post's message.
  if (face.contentWarning && face.supportLink) {
    parts.push(`<p>Support: ${shortLinkHtml(face.supportLink.href)}</p>`);
  }
  return parts.join("");
}

/** Plain text for screen readers: the title, then the description, within Mastodon's limit. */
export function mediaDescription(face: VideoFace): string {
  const description = markdownToPlainText(face.description);
  const text = description ? `${face.title}: ${description}` : face.title;
  return text.length <= MAX_MEDIA_DESCRIPTION
    ? text
    : `${text.slice(0, MAX_MEDIA_DESCRIPTION - 1).trimEnd()}…`;
}

/**
 * The subset's markers removed: `[text](url)` → `text`, `<url>` → `url`,
 * `**b**` → `b`, headings' `#`, list bullets as "•"; whitespace collapsed.
 */
function markdownToPlainText(markdown: string): string {
  return markdown
    .replace(/^ {0,3}#{1,6}[ \t]+/gm, "")
    .replace(/^ {0,3}[-*+][ \t]+/gm, "• ")
    .replace(/<(https?:\/\/[^\s<>]{1,2000})>/g, "$1")
    .replace(/\[([^\]\n]{1,1000})\]\([^()\s]{1,2000}\)/g, "$1")
    .replace(/\*\*([^*\n]+)\*\*/g, "$1")
    .replace(/\*([^*\n]+)\*/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

export function toInstant(date: Date): Temporal.Instant {
  return Temporal.Instant.fromEpochMilliseconds(date.getTime());
}
