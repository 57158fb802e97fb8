import {
  Announce,
  Create,
  Delete,
  type Note,
  PUBLIC_COLLECTION,
  Tombstone,
  Update,
} from "@fedify/vocab";
import { PEERTUBE_VIDEO_CONTEXT, PUBLIC, peertubeVideoObject } from "../objects/peertube-video.ts";
import { buildVideoNote, toInstant } from "../objects/video-note.ts";
import type { VideoFace } from "./video-face.ts";

/**
 * The activities that carry a video. Ids are deterministic: a Create and an
 * Announce exist once per video (the outbox shows the same ids that were
 * delivered); Updates and Deletes derive from the event id, so a retried
 * event re-sends the same activity and remotes deduplicate it.
 */

/** `Create{Note}` by the channel — what Mastodon shows (INTEROP.md §2). */
export function createNoteActivity(face: VideoFace, note: Note = buildVideoNote(face)): Create {
  return new Create({
    id: new URL(`${face.urls.note.href}/activity`),
    actor: face.urls.channel,
    object: note,
    to: PUBLIC_COLLECTION,
    cc: face.urls.channelFollowers,
    published: toInstant(face.published),
  });
}

/**
 * `Announce` of the Video by reference, for PeerTube: it accepts an Announce
 * from a Group and re-fetches the Video by id (process-announce.ts).
 */
export function announceVideoActivity(face: VideoFace): Announce {
  return new Announce({
    id: new URL(`${face.urls.video.href}/announces/channel`),
    actor: face.urls.channel,
    object: face.urls.video,
    to: PUBLIC_COLLECTION,
    cc: face.urls.channelFollowers,
    published: toInstant(face.published),
  });
}

/** `Update{Note}` by the channel, the Note's author (Mastodon's update.rb checks). */
export function updateNoteActivity(face: VideoFace, eventId: string): Update {
  return new Update({
    id: new URL(`${face.urls.note.href}#updates/${eventId}`),
    actor: face.urls.channel,
    object: buildVideoNote(face, { edited: true }),
    to: PUBLIC_COLLECTION,
    cc: face.urls.channelFollowers,
    updated: toInstant(face.updated),
  });
}

/**
 * `Update{Video}` with the whole Video embedded, as raw JSON (PeerTube does
 * not re-fetch on Update; Fedify would strip its terms). The actor is the
 * channel's owner Person, as PeerTube itself sends it (send-update.ts).
 */
export function updateVideoActivityJson(face: VideoFace, eventId: string): Record<string, unknown> {
  return {
    "@context": PEERTUBE_VIDEO_CONTEXT,
    id: `${face.urls.video.href}#updates/${eventId}`,
    type: "Update",
    actor: face.urls.owner.href,
    to: [PUBLIC],
    cc: [face.urls.channelFollowers.href],
    object: peertubeVideoObject(face),
  };
}

export interface DeletedVideoUrls {
  note: URL;
  video: URL;
  channel: URL;
  channelFollowers: URL;
  owner: URL;
}

/** `Delete{Tombstone}` of the Note by the channel (Mastodon: only the author may delete). */
export function deleteNoteActivity(urls: DeletedVideoUrls, eventId: string): Delete {
  return new Delete({
    id: new URL(`${urls.note.href}#deletes/${eventId}`),
    actor: urls.channel,
    object: new Tombstone({ id: urls.note }),
    to: PUBLIC_COLLECTION,
    cc: urls.channelFollowers,
  });
}

/** `Delete` of the Video by the owner Person: PeerTube accepts no other (process-delete.ts). */
export function deleteVideoActivity(urls: DeletedVideoUrls, eventId: string): Delete {
  return new Delete({
    id: new URL(`${urls.video.href}#deletes/${eventId}`),
    actor: urls.owner,
    object: urls.video,
    to: PUBLIC_COLLECTION,
    cc: urls.channelFollowers,
  });
}
