import { VIDEO_COLLECTIONS } from "../videos/video-collections.ts";
import { tagUrl, type VideoFace, type VideoFileFace } from "../videos/video-face.ts";
import { mediaDescription } from "./video-note.ts";

export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/**
 * PeerTube's own `@context` for a Video (server/core/helpers/activity-pub-utils.ts,
 * `contextStore.Video`), limited to the terms we emit. PeerTube reads keys
 * literally, but other JSON-LD consumers need the mappings to be the same.
 */
export const PEERTUBE_VIDEO_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/v1",
  { RsaSignature2017: "https://w3id.org/security#RsaSignature2017" },
  {
    pt: "https://joinpeertube.org/ns#",
    sc: "http://schema.org/",
    Hashtag: "as:Hashtag",
    subtitleLanguage: "sc:subtitleLanguage",
    sensitive: "as:sensitive",
    language: "sc:inLanguage",
    identifier: "sc:identifier",
    isLiveBroadcast: "sc:isLiveBroadcast",
    uuid: { "@type": "sc:identifier", "@id": "pt:uuid" },
    views: { "@type": "sc:Number", "@id": "pt:views" },
    state: { "@type": "sc:Number", "@id": "pt:state" },
    size: { "@type": "sc:Number", "@id": "pt:size" },
    fps: { "@type": "sc:Number", "@id": "pt:fps" },
    commentsPolicy: { "@type": "sc:Number", "@id": "pt:commentsPolicy" },
    downloadEnabled: { "@type": "sc:Boolean", "@id": "pt:downloadEnabled" },
    waitTranscoding: { "@type": "sc:Boolean", "@id": "pt:waitTranscoding" },
    aspectRatio: { "@type": "sc:Float", "@id": "pt:aspectRatio" },
  },
] as const;

/** PeerTube's VideoCommentPolicy: 1 enabled, 2 disabled, 3 requires approval. */
export function peertubeCommentsPolicy(policy: VideoFace["commentsPolicy"]): 1 | 2 {
  // Held-for-approval replies are moderated here, not by PeerTube: it only
  // needs to know that replies may be sent (INTEROP.md §4.4).
  return policy === "closed" ? 2 : 1;
}

const languageNames = new Intl.DisplayNames(["en"], { type: "language", fallback: "code" });

function languageName(code: string): string {
  try {
    return languageNames.of(code) ?? code;
  } catch {
    return code;
  }
}

/**
 * One MP4 as a PeerTube file Link. PeerTube keys a remote video's files by
 * (resolution = `height`, fps), so each file has its own height, and its
 * validator takes integers only (a 29.97 fps Link is dropped).
 */
function fileLink(file: VideoFileFace): Record<string, unknown> {
  const link: Record<string, unknown> = {
    type: "Link",
    mediaType: "video/mp4",
    href: file.url.href,
    height: Math.round(file.height),
    width: Math.round(file.width),
    size: Math.max(0, Math.round(file.sizeBytes)),
  };
  if (file.fps !== null) link.fps = Math.max(0, Math.round(file.fps));
  return link;
}

/**
 * The PeerTube face (INTEROP.md §4.4), checked field by field against
 * PeerTube's `sanitizeAndCheckVideoTorrentObject`. Raw JSON on purpose:
 * Fedify's vocabulary drops `uuid`, `views`, `commentsPolicy` and the Link
 * `size`, so this object is served verbatim (`Video.fromJsonLd`) and posted
 * raw when embedded (Update).
 */
export function buildPeerTubeVideoJson(face: VideoFace): Record<string, unknown> {
  return { "@context": PEERTUBE_VIDEO_CONTEXT, ...peertubeVideoObject(face) };
}

/** The same object without `@context`, for embedding in an activity. */
export function peertubeVideoObject(face: VideoFace): Record<string, unknown> {
  const { urls } = face;
  const height = Math.round(face.height);
  const width = Math.round(face.width);
  const video: Record<string, unknown> = {
    type: "Video",
    id: urls.video.href,
    uuid: face.uuid,
    name: face.title,
    // PeerTube's duration parser reads the first number only: whole seconds.
    duration: `PT${face.durationSeconds}S`,
    views: face.views,
    sensitive: face.contentWarning !== null,
    summary: face.contentWarning,
    commentsPolicy: peertubeCommentsPolicy(face.commentsPolicy),
    state: 1, // published
    waitTranscoding: false,
    downloadEnabled: true,
    isLiveBroadcast: false,
    published: face.published.toISOString(),
    updated: face.updated.toISOString(),
    tag: face.tags
      // PeerTube keeps Hashtags of 2–30 characters and silently drops the rest.
      .filter((tag) => tag.length >= 2 && tag.length <= 30)
      .map((tag) => ({ type: "Hashtag", name: tag, href: tagUrl(face, tag).href })),
    icon: urls.poster
      ? [
          {
            type: "Image",
            url: urls.poster.url.href,
            mediaType: "image/jpeg",
            width: urls.poster.width,
            height: urls.poster.height,
          },
        ]
      : [],
    // The HTML page first: Mastodon takes the first `url` as the post's link.
    url: [
      { type: "Link", mediaType: "text/html", href: urls.watch.href },
      ...face.files.map(fileLink),
    ],
    // What a Mastodon reading this object attaches: the file under its limit.
    attachment: [
      {
        type: "Document",
        mediaType: "video/mp4",
        url: face.attachment.url.href,
        name: mediaDescription(face),
        width: Math.round(face.attachment.width),
        height: Math.round(face.attachment.height),
      },
    ],
    subtitleLanguage: face.captions.map((c) => ({
      identifier: c.language,
      name: languageName(c.language),
      // A plain string: PeerTube 6.3 stores an array `url` as NULL (the
      // caption is listed, then 404s); newer PeerTube reads both.
      url: c.url.href,
    })),
    attributedTo: [
      { type: "Person", id: urls.owner.href },
      { type: "Group", id: urls.channel.href },
    ],
    to: [PUBLIC],
    cc: [urls.channelFollowers.href],
  };
  // PeerTube 6.3 reads these after every import and update (video-collections.ts).
  for (const name of VIDEO_COLLECTIONS) video[name] = `${urls.video.href}/${name}`;
  // PeerTube refuses a description under 3 characters (isVideoDescriptionValid)
  // and the whole video with it; an absent one is fine.
  if (face.description.trim().length >= 3) {
    video.content = face.description;
    video.mediaType = "text/markdown";
  }
  // PeerTube's player sizes itself from this (stored as `aspectRatio`, object-to-model-attributes.ts);
  // without it a portrait clip is laid out as landscape until the file loads. 4 decimals, as
  // PeerTube's own buildAspectRatio.
  if (width > 0 && height > 0) video.aspectRatio = Math.round((width / height) * 10_000) / 10_000;
  if (face.language) {
    video.language = { identifier: face.language, name: languageName(face.language) };
  }
  return video;
}
