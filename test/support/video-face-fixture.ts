import type { VideoFace } from "../../federation/videos/video-face.ts";

export const FACE_ORIGIN = "https://haven.example";
export const FACE_UUID = "5b0e8a53-2d3c-4f6e-9a1b-7c8d9e0f1a2b";

/**
 * A video's face as `loadVideo` builds it, without a database: a 720p clip
 * with one caption; `files` and `attachment` follow `overrides` (one file
 * unless a compact rendition is given).
 */
export function videoFace(overrides: Partial<VideoFace> = {}): VideoFace {
  const origin = FACE_ORIGIN;
  const uuid = FACE_UUID;
  const base: Omit<VideoFace, "files" | "attachment"> = {
    uuid,
    title: "Riding the wave",
    description: "A **short** clip about *urges*.\n\nMore: https://example.org/dbt.",
    tags: ["bpd", "dbt"],
    language: "en",
    contentWarning: "mentions self-harm",
    commentsPolicy: "approval",
    durationSeconds: 65,
    width: 1280,
    height: 720,
    fps: 29.97,
    sizeBytes: 1_234_567,
    published: new Date("2025-01-02T03:04:05.000Z"),
    updated: new Date("2025-01-02T03:04:05.000Z"),
    views: 7,
    captions: [{ language: "fr", url: new URL(`${origin}/media/videos/${uuid}/captions/fr.vtt`) }],
    blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    urls: {
      note: new URL(`${origin}/notes/${uuid}`),
      video: new URL(`${origin}/videos/${uuid}`),
      watch: new URL(`${origin}/videos/${uuid}`),
      mp4: new URL(`${origin}/media/videos/${uuid}/${uuid}-720.mp4`),
      poster: {
        url: new URL(`${origin}/media/videos/${uuid}/poster.jpg`),
        width: 1280,
        height: 720,
      },
      channel: new URL(`${origin}/users/calm`),
      channelFollowers: new URL(`${origin}/users/calm/followers`),
      owner: new URL(`${origin}/users/ana`),
      tagBase: new URL(`${origin}/tags/`),
    },
    ...overrides,
  };
  const main = {
    url: base.urls.mp4,
    width: base.width,
    height: base.height,
    fps: base.fps,
    sizeBytes: base.sizeBytes ?? 0,
  };
  const files = overrides.files ?? [main];
  return { ...base, files, attachment: overrides.attachment ?? files[1] ?? main };
}
