import { Create, Note, Video } from "@fedify/vocab";
import { getDocumentLoader } from "@fedify/vocab-runtime";
import { buildPeerTubeVideoJson } from "../objects/peertube-video.ts";
import { createNoteJson, noteJson } from "./note-documents.ts";
import type { VideoFace } from "./video-face.ts";

const loader = getDocumentLoader();
const FROM_JSON_LD = { documentLoader: loader, contextLoader: loader } as const;

/**
 * Fedify objects made with `fromJsonLd` from our own JSON, for the object
 * dispatchers: such an object is served verbatim (extension terms kept).
 * JSON-LD expansion is costly, so one object per video is kept until the
 * video's version changes. Bounded: the oldest entry goes first.
 */
export class FaceDocumentCache<T> {
  readonly #entries = new Map<string, { version: string; object: Promise<T> }>();

  constructor(
    private readonly make: (face: VideoFace) => Promise<T>,
    /** What the JSON depends on besides the video's update time. */
    private readonly extraVersion: (face: VideoFace) => string = () => "",
    private readonly maxEntries = 2_000,
  ) {}

  get(face: VideoFace): Promise<T> {
    const version = `${face.updated.getTime()}:${this.extraVersion(face)}`;
    const hit = this.#entries.get(face.uuid);
    if (hit && hit.version === version) return hit.object;
    const object = this.make(face);
    object.catch(() => {
      if (this.#entries.get(face.uuid)?.object === object) this.#entries.delete(face.uuid);
    });
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(face.uuid, { version, object });
    return object;
  }
}

/** The PeerTube Video (its JSON carries the view count too). */
export const videoDocuments = () =>
  new FaceDocumentCache(
    (face) => Video.fromJsonLd(buildPeerTubeVideoJson(face), FROM_JSON_LD),
    (face) => String(face.views),
  );

/** The Note, as delivered (note-documents.ts). */
export const noteDocuments = () =>
  new FaceDocumentCache(
    async (face) => Note.fromJsonLd(await noteJson(face), FROM_JSON_LD),
    supportVersion,
  );

/** The Note's Create, as delivered. */
export const createDocuments = () =>
  new FaceDocumentCache(
    async (face) => Create.fromJsonLd(await createNoteJson(face), FROM_JSON_LD),
    supportVersion,
  );

/** The channel's support-link choice changes the Note without changing the video. */
function supportVersion(face: VideoFace): string {
  return face.supportLink?.href ?? "";
}
