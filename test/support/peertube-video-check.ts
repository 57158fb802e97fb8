/**
 * What PeerTube does with a remote Video before importing it, step by step as
 * `sanitizeAndCheckVideoTorrentObject` (Chocobozzz/PeerTube
 * server/core/helpers/custom-validators/activitypub/videos.ts, with misc.ts,
 * ../videos.ts, ../misc.ts and CONSTRAINTS_FIELDS/MIMETYPES in
 * server/core/initializers/constants.ts), plus `findOwner` (the channel must be
 * a Group on the video's host; lib/activitypub/actors/get.ts).
 *
 * Returns three kinds of problem, all of which our own Video must avoid:
 * - a plain field name: PeerTube refuses the whole Video (it answers 204 anyway
 *   and drops it silently, so tests must check this themselves, INTEROP.md §3.7);
 * - "dropped: …": PeerTube imports the Video but silently discards that part;
 * - "haven: …": PeerTube would accept it, but it would not work as we intend
 *   (nothing to play, comments disabled, Mastodon's link, a misread duration).
 * An empty list means PeerTube imports the Video whole.
 */
type Json = Record<string, unknown>;

// validator.isInt(String(v), { min }): a decimal integer string, optionally signed.
const isInt = (v: unknown, min = 0) => /^[-+]?\d+$/.test(String(v)) && Number(v) >= min;
// isActivityPubUrlValid: validator.isURL (http/https, a host) and at most 2000 characters.
export const isUrl = (v: unknown): v is string => {
  if (typeof v !== "string" || v.length > 2000) return false;
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
};
const exists = (v: unknown) => v !== undefined && v !== null;
// isDateValid: validator.isISO8601.
const ISO8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const isDate = (v: unknown) => typeof v === "string" && ISO8601.test(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
// isUUIDValid: validator.isUUID(value, 4) — version 4 only.
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
// MIMETYPES.AP_VIDEO and MIMETYPES.IMAGE.
const AP_VIDEO_MIME = new Set(["video/mp4", "video/ogg", "video/webm", "audio/mp4"]);
const IMAGE_MIME = new Set(["image/png", "image/gif", "image/webp", "image/jpg", "image/jpeg"]);
// CONSTRAINTS_FIELDS.VIDEOS
const NAME = { min: 3, max: 120 };
const DESCRIPTION_MIN = 3; // longer descriptions are truncated to 10,000, not refused
const TAG = { min: 2, max: 30 };

export function peertubeVideoProblems(input: unknown): string[] {
  const problems: string[] = [];
  const fail = (field: string) => problems.push(field);
  if (typeof input !== "object" || input === null) return ["not an object"];
  const video = input as Json;
  if (video.type !== "Video") return ["type"];

  // setValidRemoteTags: a non-array becomes []; invalid entries are dropped.
  for (const tag of asArray(video.tag) as Json[]) {
    const name = tag?.name;
    const ok =
      (tag?.type === "Hashtag" &&
        typeof name === "string" &&
        name.length >= TAG.min &&
        name.length <= TAG.max) ||
      (tag?.type === "SensitiveTag" && !!name);
    if (!ok) fail(`dropped: tag ${JSON.stringify(name)}`);
  }

  // setValidRemoteVideoUrls: `url` must be an array; entries that are not a
  // file/torrent/magnet/HLS/tracker/metadata Link are dropped (the text/html one too).
  if (!Array.isArray(video.url)) fail("urls");
  const urls = asArray(video.url) as Json[];
  const files = urls.filter(
    (u) =>
      u?.type === "Link" &&
      AP_VIDEO_MIME.has(String(u.mediaType)) &&
      isUrl(u.href) &&
      isInt(u.height) &&
      isInt(u.size) &&
      (!u.fps || isInt(u.fps, -1)),
  );
  if (files.length === 0) fail("haven: url has no valid video file Link (nothing to play)");
  // PeerTube stores a remote file as `videoFile` rows (lib/activitypub/videos/shared/
  // object-to-model-attributes.ts): `filename` = the URL's last segment, under a unique
  // index across all videos, and one row per (video, resolution = height, fps).
  const seen = new Set<string>();
  for (const file of files) {
    const name = new URL(String(file.href)).pathname.split("/").pop() ?? "";
    if (typeof video.uuid === "string" && UUID_V4.test(video.uuid) && !name.includes(video.uuid)) {
      fail(`haven: file name ${JSON.stringify(name)} is not unique to this video`);
    }
    const slot = `${file.height}/${file.fps ?? -1}`;
    if (seen.has(slot)) fail(`haven: two files at height/fps ${slot}`);
    seen.add(slot);
  }
  const first = urls[0];
  if (first?.type !== "Link" || first.mediaType !== "text/html" || !isUrl(first.href)) {
    fail("haven: the first url is not the text/html Link (Mastodon's link)");
  }

  // setRemoteVideoContent truncates; setValidAttributedTo filters.
  const attributedTo = asArray(video.attributedTo).filter(
    (a) =>
      isUrl(a) ||
      ((((a as Json)?.type === "Group" || (a as Json)?.type === "Person") &&
        isUrl((a as Json).id)) as boolean),
  ) as Json[];

  // setValidRemoteCaptions: a non-array fails; a `url` that is not a URL string is
  // stored as NULL (PeerTube 6.3: the caption is listed, then 404s); an entry without
  // a string identifier is dropped.
  if (exists(video.subtitleLanguage) && !Array.isArray(video.subtitleLanguage)) {
    fail("captions");
  }
  for (const caption of asArray(video.subtitleLanguage) as Json[]) {
    if (typeof caption?.identifier !== "string") {
      fail(`dropped: caption ${JSON.stringify(caption?.identifier)}`);
    } else if (!isUrl(caption.url)) {
      fail(`haven: caption ${caption.identifier} url is not a URL string (stored as NULL)`);
    }
  }

  // After storing it, PeerTube 6.3 reads likes.totalItems and dislikes.totalItems
  // (updateVideoRates) and crawls shares and comments; a missing `likes` or
  // `dislikes` makes that step fail, so comments and shares never synchronise.
  for (const name of ["likes", "dislikes", "shares", "comments"]) {
    if (!isUrl(video[name])) fail(`haven: no ${name} collection (PeerTube 6.3 fails after import)`);
  }

  // setValidRemoteIcon: at least one Image (one per size is kept).
  const icons = asArray(video.icon).filter((icon) => {
    const i = icon as Json;
    return (
      i?.type === "Image" &&
      isUrl(i.url) &&
      IMAGE_MIME.has(String(i.mediaType)) &&
      isInt(i.width) &&
      isInt(i.height)
    );
  });
  if (icons.length === 0) fail("icons");

  // setValidStoryboard: `preview`, when present, must be an array.
  if (video.preview && !Array.isArray(video.preview)) fail("preview (storyboard)");

  // An absent or unknown commentsPolicy silently disables comments.
  if (![1, 2, 3].includes(video.commentsPolicy as number)) {
    fail("haven: commentsPolicy missing (PeerTube disables comments)");
  }

  if (!isUrl(video.id)) fail("id");
  const name = video.name;
  if (typeof name !== "string" || name.length < NAME.min || name.length > NAME.max) fail("name");

  // isActivityPubVideoDurationValid, then parseInt of what follows the first non-digits.
  const duration = video.duration;
  if (typeof duration !== "string" || !duration.startsWith("PT") || !duration.endsWith("S")) {
    fail("duration format");
  } else if (!/^PT\d+S$/.test(duration)) {
    fail("haven: duration is not whole seconds (PeerTube reads only the first number)");
  }

  if (typeof video.uuid !== "string" || !UUID_V4.test(video.uuid)) fail("uuid");
  if (exists(video.category) && !isInt((video.category as Json)?.identifier)) fail("category");
  if (exists(video.language) && typeof (video.language as Json)?.identifier !== "string") {
    fail("language");
  }
  if (!isInt(video.views)) fail("views");
  if (!isDate(video.published)) fail("published");
  if (!isDate(video.updated)) fail("updated");
  if (exists(video.originallyPublishedAt) && !isDate(video.originallyPublishedAt)) {
    fail("originallyPublishedAt");
  }
  if (exists(video.uploadDate) && !isDate(video.uploadDate)) fail("uploadDate");
  if (exists(video.content)) {
    const okType = video.mediaType === "text/markdown" || video.mediaType === "text/html";
    const len = typeof video.content === "string" ? video.content.length : -1;
    if (!okType || len < DESCRIPTION_MIN) fail("mediaType/content");
  }
  if (exists(video.audience) && !isUrl(video.audience)) fail("audience");
  if (exists(video.embedUrl) && !isUrl(video.embedUrl)) fail("embedUrl");
  if (attributedTo.length === 0) fail("attributedTo");

  // APVideoAbstractBuilder.getOrCreateVideoChannelFromVideoObject → findOwner(type: Group).
  const group = attributedTo.find((a) => a.type === "Group");
  if (!group) fail("attributedTo: no Group (the channel)");
  else if (isUrl(video.id) && new URL(String(group.id)).host !== new URL(video.id).host) {
    fail("attributedTo: the channel is not on the video's host");
  }
  return problems;
}
