import { Create, Note } from "@fedify/vocab";
import { getDocumentLoader } from "@fedify/vocab-runtime";
import { canonicalShape } from "../objects/canonical-shape.ts";
import { withAttachmentBlurhash } from "../objects/note-blurhash.ts";
import { buildVideoNote } from "../objects/video-note.ts";
import {
  createNoteActivity,
  type DeletedVideoUrls,
  deleteNoteActivity,
  updateNoteActivity,
} from "./video-activities.ts";
import type { VideoFace } from "./video-face.ts";

type Json = Record<string, unknown>;

const loader = getDocumentLoader();
const JSON_LD = { format: "compact", contextLoader: loader } as const;

/**
 * The Note face as it goes on the wire: Fedify's compacted JSON-LD in
 * Haven's canonical shape (ADR 0012), plus the attachment's `blurhash`,
 * a Mastodon term Fedify's vocabulary lacks. The same function serves the
 * Note (and its Create) and builds what is delivered, so the two agree.
 */
export async function noteJson(face: VideoFace): Promise<Json> {
  return finish(await buildVideoNote(face).toJsonLd(JSON_LD), face);
}

export async function createNoteJson(face: VideoFace): Promise<Json> {
  return finish(await createNoteActivity(face).toJsonLd(JSON_LD), face);
}

export async function updateNoteJson(face: VideoFace, eventId: string): Promise<Json> {
  return finish(await updateNoteActivity(face, eventId).toJsonLd(JSON_LD), face);
}

/** The Note's takedown: nothing to add, only the canonical shape. */
export async function deleteNoteJson(urls: DeletedVideoUrls, eventId: string): Promise<Json> {
  return canonicalShape((await deleteNoteActivity(urls, eventId).toJsonLd(JSON_LD)) as Json);
}

function finish(compacted: unknown, face: VideoFace): Json {
  return withAttachmentBlurhash(canonicalShape(compacted as Json), face);
}

/**
 * Fedify objects for the dispatchers, made from that JSON: an object made by
 * `fromJsonLd` is served verbatim (extension terms kept). JSON-LD expansion
 * is costly, so each is cached per video version (bounded).
 */
export class NoteDocumentCache {
  readonly #entries = new Map<string, Promise<Note | Create>>();

  constructor(private readonly maxEntries = 2_000) {}

  note(face: VideoFace): Promise<Note> {
    return this.#get(`note:${face.uuid}:${face.updated.getTime()}`, async () =>
      Note.fromJsonLd(await noteJson(face), { documentLoader: loader, contextLoader: loader }),
    ) as Promise<Note>;
  }

  create(face: VideoFace): Promise<Create> {
    return this.#get(`create:${face.uuid}:${face.updated.getTime()}`, async () =>
      Create.fromJsonLd(await createNoteJson(face), {
        documentLoader: loader,
        contextLoader: loader,
      }),
    ) as Promise<Create>;
  }

  #get(key: string, make: () => Promise<Note | Create>): Promise<Note | Create> {
    const hit = this.#entries.get(key);
    if (hit) return hit;
    const made = make();
    made.catch(() => this.#entries.delete(key));
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, made);
    return made;
  }
}
