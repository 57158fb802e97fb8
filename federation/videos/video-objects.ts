import type { Federation } from "@fedify/fedify";
import { Announce, Create, Note, Tombstone, Video } from "@fedify/vocab";
import type { HavenContext } from "../context.ts";
import { toInstant } from "../objects/video-note.ts";
import { createDocuments, noteDocuments, videoDocuments } from "./face-documents.ts";
import { announceVideoActivity } from "./video-activities.ts";
import { loadVideo, noteUri, videoUri } from "./video-face.ts";

/**
 * The two faces of a video as object dispatchers: the Note at
 * `/notes/{id}` (Mastodon) and the PeerTube-complete Video at `/videos/{id}`
 * — the same URL as the HTML watch page, which browsers get from the web
 * routes (the middleware falls through when JSON is not acceptable).
 * Deleted videos answer 410 with a Tombstone; unknown or unpublished ones 404.
 */
export function registerVideoObjects(
  federation: Federation<HavenContext>,
  videos = videoDocuments(),
  notes = noteDocuments(),
  creates = createDocuments(),
): void {
  federation.setObjectDispatcher(Note, "/notes/{id}", async (ctx, values) => {
    const loaded = await loadVideo(ctx, values.id);
    if (loaded.status === "missing") return null;
    if (loaded.status === "deleted") {
      return gone<Note>(noteUri(ctx, loaded.uuid), loaded.deletedAt);
    }
    return notes.get(loaded.face);
  });

  federation.setObjectDispatcher(Video, "/videos/{id}", async (ctx, values) => {
    const loaded = await loadVideo(ctx, values.id);
    if (loaded.status === "missing") return null;
    if (loaded.status === "deleted") {
      return gone<Video>(videoUri(ctx, loaded.uuid), loaded.deletedAt);
    }
    return videos.get(loaded.face);
  });

  // The ids of the activities that carried a video (in the outbox and as
  // delivered) dereference to them, as Mastodon's own activity ids do.
  federation.setObjectDispatcher(Create, "/notes/{id}/activity", async (ctx, values) => {
    const loaded = await loadVideo(ctx, values.id);
    if (loaded.status === "missing") return null;
    if (loaded.status === "deleted") {
      return gone<Create>(ctx.getObjectUri(Create, values), loaded.deletedAt);
    }
    return creates.get(loaded.face);
  });

  federation.setObjectDispatcher(
    Announce,
    "/videos/{id}/announces/channel",
    async (ctx, values) => {
      const loaded = await loadVideo(ctx, values.id);
      if (loaded.status === "missing") return null;
      if (loaded.status === "deleted") {
        return gone<Announce>(ctx.getObjectUri(Announce, values), loaded.deletedAt);
      }
      return announceVideoActivity(loaded.face);
    },
  );
}

/**
 * A deleted video's documents: a `Tombstone` (served as 410 Gone, see
 * served-documents.ts). Fedify types each dispatcher's result as its class;
 * a Tombstone is what Mastodon and PeerTube expect instead.
 */
function gone<T>(id: URL, deletedAt: Date): T {
  return new Tombstone({ id, deleted: toInstant(deletedAt) }) as unknown as T;
}
