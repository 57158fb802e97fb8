import type { VideoFace } from "../videos/video-face.ts";

type Json = Record<string, unknown>;

/** Mastodon's term (its `toot:` namespace), as Mastodon's own contexts define it. */
const TOOT = "http://joinmastodon.org/ns#";

/**
 * Adds the poster's `blurhash` to the Note's video Document, in the Note's
 * compacted JSON-LD (Fedify's vocabulary has no `blurhash`, so the term is
 * added after `toJsonLd`). Accepts the Note itself or an activity embedding
 * it (`Create`, `Update`); returns a copy, the input is left untouched.
 * Mastodon shows the blurhash in place of a content-warned video until it has
 * downloaded the file, and for good where it refuses remote media.
 */
export function withAttachmentBlurhash<T extends Json>(json: T, face: VideoFace): T {
  const blurhash = face.blurhash;
  if (!blurhash) return json;
  const mp4 = face.attachment.url.href;
  const addToNote = (note: Json): Json => {
    const attachment = note.attachment;
    const patch = (item: unknown): unknown =>
      isVideoDocument(item, mp4) ? { ...(item as Json), blurhash } : item;
    if (Array.isArray(attachment)) return { ...note, attachment: attachment.map(patch) };
    if (attachment !== undefined) return { ...note, attachment: patch(attachment) };
    return note;
  };
  const object = json.object;
  const patched: Json =
    json.type === "Note"
      ? addToNote(json)
      : isNote(object)
        ? { ...json, object: addToNote(object) }
        : json;
  if (patched === json) return json;
  if (patched["@context"] !== undefined) {
    patched["@context"] = withBlurhashTerm(patched["@context"]);
  }
  return patched as T;
}

function isNote(value: unknown): value is Json {
  return typeof value === "object" && value !== null && (value as Json).type === "Note";
}

/** The MP4 Document; its `url` is a string (compacted) or a Link with `href`. */
function isVideoDocument(item: unknown, mp4: string): boolean {
  if (typeof item !== "object" || item === null) return false;
  const doc = item as Json;
  if (doc.type !== "Document") return false;
  const urls = Array.isArray(doc.url) ? doc.url : [doc.url];
  return urls.some((u) => (typeof u === "string" ? u : (u as Json | null)?.href) === mp4);
}

/** `blurhash: toot:blurhash` in the context's term object (one added when there is none). */
function withBlurhashTerm(context: unknown): unknown {
  const list = Array.isArray(context) ? [...context] : [context];
  const index = list.findLastIndex((c) => typeof c === "object" && c !== null);
  if (index >= 0) {
    const terms = list[index] as Json;
    list[index] = { toot: TOOT, ...terms, blurhash: "toot:blurhash" };
  } else {
    list.push({ toot: TOOT, blurhash: "toot:blurhash" });
  }
  return list;
}
