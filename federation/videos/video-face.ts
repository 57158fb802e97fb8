import type { Context } from "@fedify/fedify";
import { Note, Video } from "@fedify/vocab";
import { findActorById, type LocalActor } from "../../src/actors/actor.service.ts";
import { fitWithin } from "../../src/media/dimensions.ts";
import { videoFiles } from "../../src/videos/video-files.ts";
import {
  countVideoViews,
  findSupportVideo,
  listVideoCaptions,
  type SupportVideo,
  type VideoCaption,
} from "../../src/videos/video-queries.ts";
import type { HavenContext } from "../context.ts";

/**
 * Everything both faces of a video (the Note for Mastodon, the Video for
 * PeerTube) are built from: the row, resolved to URLs on our origin.
 */
export interface VideoFace {
  uuid: string;
  title: string;
  /** Markdown. */
  description: string;
  /** Hashtag names without `#`, deduplicated case-insensitively. */
  tags: string[];
  language: string | null;
  contentWarning: string | null;
  commentsPolicy: SupportVideo["commentsPolicy"];
  durationSeconds: number;
  width: number;
  height: number;
  fps: number | null;
  sizeBytes: number | null;
  published: Date;
  updated: Date;
  views: number;
  captions: { language: string; url: URL }[];
  /** BlurHash of the poster, for the Note's attachment (Mastodon's `blurhash`). */
  blurhash: string | null;
  /** The MP4s, main file first; each has its own unique name (video-files.ts). */
  files: VideoFileFace[];
  /** The one a post attaches: under what Mastodon downloads (a compact rendition if needed). */
  attachment: VideoFileFace;
  urls: VideoUrls;
  /**
   * The instance's help page, when the channel appends a "Support:" line to
   * its content-warned videos' Notes (`append_support_link`); else null.
   */
  supportLink?: URL | null;
}

export interface VideoFileFace {
  url: URL;
  width: number;
  height: number;
  fps: number | null;
  sizeBytes: number;
}

export interface VideoUrls {
  note: URL;
  /** The Video object's id, which is also the watch page (content negotiation). */
  video: URL;
  watch: URL;
  /** The main file (`files[0]`). */
  mp4: URL;
  poster: { url: URL; width: number; height: number } | null;
  channel: URL;
  channelFollowers: URL;
  owner: URL;
  /** `${origin}/tags/` */
  tagBase: URL;
}

export type LoadedVideo =
  | { status: "published"; face: VideoFace; channel: LocalActor; owner: LocalActor }
  | { status: "deleted"; uuid: string; deletedAt: Date }
  | { status: "missing" };

/** `videos/<uuid>/<uuid>-720.mp4` → `${origin}/media/videos/<uuid>/<uuid>-720.mp4` */
export function mediaUrl(ctx: Context<HavenContext>, key: string): URL {
  return new URL(`/media/${key}`, ctx.canonicalOrigin);
}

export function noteUri(ctx: Context<HavenContext>, uuid: string): URL {
  return ctx.getObjectUri(Note, { id: uuid });
}

export function videoUri(ctx: Context<HavenContext>, uuid: string): URL {
  return ctx.getObjectUri(Video, { id: uuid });
}

// Mastodon's hashtag alphabet; PeerTube wants 2–30 characters per tag.
const TAG = /^[\p{L}\p{N}_]{1,30}$/u;

export function normalizeTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim().replace(/^#+/, "");
    const key = tag.toLowerCase();
    if (!TAG.test(tag) || seen.has(key)) continue;
    seen.add(key);
    out.push(tag);
  }
  return out;
}

/**
 * A video as the federation sees it: published (with everything the faces
 * need), deleted (a Tombstone), or missing — which includes videos still
 * processing or failed, and published rows lacking media (never shown).
 */
export async function loadVideo(ctx: Context<HavenContext>, uuid: string): Promise<LoadedVideo> {
  const db = ctx.data.db;
  const video = await findSupportVideo(db, uuid);
  if (!video) return { status: "missing" };
  if (video.state === "deleted") {
    return { status: "deleted", uuid: video.id, deletedAt: video.deletedAt ?? video.updatedAt };
  }
  if (!isPublishedWithMedia(video)) return { status: "missing" };
  const channel = await findActorById(db, video.channelId);
  const owner = channel?.ownerActorId ? await findActorById(db, channel.ownerActorId) : null;
  if (!channel || !owner) return { status: "missing" };
  const [captions, views] = await Promise.all([
    listVideoCaptions(db, video.id),
    countVideoViews(db, video.id),
  ]);
  const face = buildFace(ctx, video, channel, owner, { captions, views });
  return { status: "published", face, channel, owner };
}

/** A published row with its media. */
export type PublishedVideoRow = SupportVideo & { mediaKey: string; width: number; height: number };

export function isPublishedWithMedia(video: SupportVideo): video is PublishedVideoRow {
  return video.state === "published" && !!video.mediaKey && !!video.width && !!video.height;
}

/** The face of a row; captions and views are only needed for the PeerTube face. */
export function buildFace(
  ctx: Context<HavenContext>,
  video: PublishedVideoRow,
  channel: LocalActor,
  owner: LocalActor,
  extras: { captions: readonly VideoCaption[]; views: number } = { captions: [], views: 0 },
): VideoFace {
  // The poster is one frame scaled to ≤ 1280 px on the long side (src/media/poster.ts).
  const posterSize = fitWithin(video.width, video.height, 1280, 1280);
  const files = videoFiles(video).map(({ key, ...file }) => ({ url: mediaUrl(ctx, key), ...file }));
  const main = files[0] as VideoFileFace; // a published row with media has its main file
  return {
    uuid: video.id,
    title: video.title,
    description: video.description,
    tags: normalizeTags(video.tags),
    language: video.language,
    contentWarning: video.contentWarning?.trim() || null,
    commentsPolicy: video.commentsPolicy,
    durationSeconds: Math.max(0, Math.round(video.durationSeconds ?? 0)),
    width: video.width,
    height: video.height,
    fps: video.fps,
    sizeBytes: video.sizeBytes,
    published: video.publishedAt ?? video.createdAt,
    updated: video.updatedAt,
    views: extras.views,
    captions: extras.captions.map((c) => ({
      language: c.language,
      url: mediaUrl(ctx, c.mediaKey),
    })),
    blurhash: video.blurhash,
    files,
    attachment: files[1] ?? main,
    urls: {
      note: noteUri(ctx, video.id),
      video: videoUri(ctx, video.id),
      watch: videoUri(ctx, video.id),
      mp4: main.url,
      poster: video.posterKey ? { url: mediaUrl(ctx, video.posterKey), ...posterSize } : null,
      channel: ctx.getActorUri(channel.handle),
      channelFollowers: ctx.getFollowersUri(channel.handle),
      owner: ctx.getActorUri(owner.handle),
      tagBase: new URL("/tags/", ctx.canonicalOrigin),
    },
    supportLink:
      channel.appendSupportLink && video.contentWarning?.trim()
        ? new URL("/help", ctx.canonicalOrigin)
        : null,
  };
}

export function tagUrl(face: VideoFace, tag: string): URL {
  return new URL(encodeURIComponent(tag.toLowerCase()), face.urls.tagBase);
}
