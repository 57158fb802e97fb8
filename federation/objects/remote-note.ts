import { type Note, PUBLIC_COLLECTION } from "@fedify/vocab";
import { LanguageString } from "@fedify/vocab-runtime";
import type { CommentBody } from "../../src/comments/comment.service.ts";
import { commentMarkdownToHtml } from "../../src/comments/comment-markdown.ts";

/** What we read from a remote reply's Note (HTML still unsanitised). */
export interface RemoteNoteFields extends CommentBody {
  iri: string;
  inReplyTo: URL | null;
  url: string | null;
  published: Date | null;
  updated: Date | null;
  /** Addressed to the public (Mastodon "public" or "unlisted"). */
  isPublic: boolean;
}

const toDate = (instant: { epochMilliseconds: number } | null): Date | null =>
  instant ? new Date(instant.epochMilliseconds) : null;

/**
 * Mastodon sends `content` and `contentMap: {en: …}` with the same text;
 * PeerTube only `content`. The language comes from the map.
 */
export function readRemoteNote(note: Note): RemoteNoteFields | null {
  if (note.id == null) return null;
  const contents = note.contents;
  const plain = contents.find((c) => !(c instanceof LanguageString));
  const tagged = contents.find((c): c is LanguageString => c instanceof LanguageString);
  const summary = note.summaries[0] ?? null;
  const url = note.url;
  const text = (plain ?? tagged ?? "").toString();
  return {
    iri: note.id.href,
    inReplyTo: note.replyTargetId,
    // PeerTube: `content` is Markdown source, not HTML.
    html: note.mediaType === "text/markdown" ? commentMarkdownToHtml(text) : text,
    summary: summary?.toString() || null,
    sensitive: note.sensitive === true,
    language: tagged?.locale.baseName ?? null,
    url: url instanceof URL ? url.href : (url?.href?.href ?? null),
    published: toDate(note.published),
    updated: toDate(note.updated),
    isPublic: [...note.toIds, ...note.ccIds].some((id) => id.href === PUBLIC_COLLECTION.href),
  };
}

/**
 * The media descriptions (`name` of each embedded attachment: Mastodon's alt
 * text) of a reply, for the watched words. Referenced attachments are not
 * fetched: Mastodon and PeerTube embed them.
 */
export async function mediaDescriptionsOf(note: Note): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const attachment of note.getAttachments({
      documentLoader: () => Promise.reject(new Error("embedded attachments only")),
      suppressError: true,
    })) {
      const name = attachment != null && "name" in attachment ? attachment.name : null;
      if (name != null) names.push(name.toString());
      if (names.length >= 20) break;
    }
  } catch {
    // A malformed attachment list: the text and content warning are still checked.
  }
  return names;
}

/**
 * Whether `note` may be believed as `actor`'s own words (SECURITY #14): its
 * id has the actor's origin and every `attributedTo` is the actor.
 */
export function isAuthoredBy(note: Note, actor: URL): boolean {
  const authors = note.attributionIds;
  return (
    note.id != null &&
    note.id.origin === actor.origin &&
    authors.length > 0 &&
    authors.every((a) => a.href === actor.href)
  );
}
