import type { Config } from "../../config.ts";
import type { SupportVideo, VideoCaption } from "../../videos/video.service.ts";

export function mediaUrl(config: Config, key: string | null): string | null {
  return key ? `${config.publicUrl.origin}/media/${key}` : null;
}

/** The API view of a video; `failure_reason` only for those who manage it. */
export function videoJson(
  config: Config,
  video: SupportVideo,
  channelName: string,
  captions: VideoCaption[],
  options: { manager: boolean },
) {
  const origin = config.publicUrl.origin;
  return {
    id: video.id,
    url: `${origin}/videos/${video.id}`,
    state: video.state,
    ...(options.manager && video.state === "failed" ? { failure_reason: video.failureReason } : {}),
    channel: channelName,
    title: video.title,
    description: video.description,
    tags: video.tags,
    language: video.language,
    content_warning: video.contentWarning,
    sensitive: video.contentWarning !== null,
    comments_policy: video.commentsPolicy,
    duration: video.durationSeconds,
    width: video.width,
    height: video.height,
    size: video.sizeBytes,
    files: {
      video: mediaUrl(config, video.mediaKey),
      poster: mediaUrl(config, video.posterKey),
    },
    captions: captions.map((c) => ({ language: c.language, url: mediaUrl(config, c.mediaKey) })),
    published_at: video.publishedAt?.toISOString() ?? null,
    created_at: video.createdAt.toISOString(),
    updated_at: video.updatedAt.toISOString(),
  };
}
