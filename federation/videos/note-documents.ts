import { getDocumentLoader } from "@fedify/vocab-runtime";
import { canonicalShape } from "../objects/canonical-shape.ts";
import { withInteractionPolicy } from "../objects/interaction-policy.ts";
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
 * a Mastodon term Fedify's vocabulary lacks, and GoToSocial's
 * `interactionPolicy` (who may reply without approval). The same function serves the
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
  return withInteractionPolicy(
    withAttachmentBlurhash(canonicalShape(compacted as Json), face),
    face,
  );
}
