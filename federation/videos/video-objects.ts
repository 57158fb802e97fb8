import type { Federation } from "@fedify/fedify";
import { Announce, Create, Note, Tombstone, Video } from "@fedify/vocab";
import { getDocumentLoader } from "@fedify/vocab-runtime";
import type { HavenContext } from "../context.ts";
import { buildPeerTubeVideoJson } from "../objects/peertube-video.ts";
import { toInstant } from "../objects/video-note.ts";
import { NoteDocumentCache } from "./note-documents.ts";
import { announceVideoActivity } from "./video-activities.ts";
import { loadVideo, noteUri, type VideoFace, videoUri } from "./video-face.ts";

/**
 * `Video.fromJsonLd` expands the JSON-LD (costly) and is then served
 * verbatim, so the object is cached per video version. Bounded; a version
 * is the update time plus the view count, both part of the JSON.
 */
export class VideoObjectCache {
  readonly #entries = new Map<string, { version: string; object: Promise<Video> }>();
  readonly #loader = getDocumentLoader();

  constructor(private readonly maxEntries = 2_000) {}

  get(face: VideoFace): Promise<Video> {
    const version = `${face.updated.getTime()}:${face.views}`;
    const hit = this.#entries.get(face.uuid);
    if (hit && hit.version === version) return hit.object;
    const object = Video.fromJsonLd(buildPeerTubeVideoJson(face), {
      documentLoader: this.#loader,
      contextLoader: this.#loader,
    });
    object.catch(() => this.#entries.delete(face.uuid));
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(face.uuid, { version, object });
    return object;
  }
}

/**
 * The two faces of a video as object dispatchers: the Note at
 * `/notes/{id}` (Mastodon) and the PeerTube-complete Video at `/videos/{id}`
 * — the same URL as the HTML watch page, which browsers get from the web
 * routes (the middleware falls through when JSON is not acceptable).
 * Deleted videos answer 410 with a Tombstone; unknown or unpublished ones 404.
 */
export function registerVideoObjects(
  federation: Federation<HavenContext>,
  cache = new VideoObjectCache(),
  notes = new NoteDocumentCache(),
): void {
  federation.setObjectDispatcher(Note, "/notes/{id}", async (ctx, values) => {
    const loaded = await loadVideo(ctx, values.id);
    if (loaded.status === "missing") return null;
    if (loaded.status === "deleted") {
      return gone<Note>(noteUri(ctx, loaded.uuid), loaded.deletedAt);
    }
    return notes.note(loaded.face);
  });

  federation.setObjectDispatcher(Video, "/videos/{id}", async (ctx, values) => {
    const loaded = await loadVideo(ctx, values.id);
    if (loaded.status === "missing") return null;
    if (loaded.status === "deleted") {
      return gone<Video>(videoUri(ctx, loaded.uuid), loaded.deletedAt);
    }
    return cache.get(loaded.face);
  });

  // The ids of the activities that carried a video (in the outbox and as
  // delivered) dereference to them, as Mastodon's own activity ids do.
  federation.setObjectDispatcher(Create, "/notes/{id}/activity", async (ctx, values) => {
    const loaded = await loadVideo(ctx, values.id);
    if (loaded.status === "missing") return null;
    if (loaded.status === "deleted") {
      return gone<Create>(ctx.getObjectUri(Create, values), loaded.deletedAt);
    }
    return notes.create(loaded.face);
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
