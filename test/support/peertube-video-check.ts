/**
 * What PeerTube requires of a remote Video before it imports it, modelled on
 * `sanitizeAndCheckVideoTorrentObject` (Chocobozzz/PeerTube
 * server/core/helpers/custom-validators/activitypub/videos.ts and misc.ts) and
 * on `getOrCreateVideoChannelFromVideoObject` (the channel must be a Group on
 * the video's host). Returns the problems found; an empty list means PeerTube
 * would accept the object. PeerTube answers 204 either way and silently drops
 * an invalid Video, so tests must check this themselves (INTEROP.md §3.7).
 */
type Json = Record<string, unknown>;

const isInt = (v: unknown, min = 0) =>
  (typeof v === "number" || typeof v === "string") && /^-?\d+$/.test(String(v)) && Number(v) >= min;
const isUrl = (v: unknown): v is string => {
  if (typeof v !== "string" || v.length > 2000) return false;
  try {
    const u = new URL(v);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
};
const isDate = (v: unknown) => typeof v === "string" && !Number.isNaN(Date.parse(v));
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VIDEO_MIME = new Set(["video/mp4", "video/webm", "video/ogg", "video/quicktime"]);
const IMAGE_MIME = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);

export function peertubeVideoProblems(input: unknown): string[] {
  const problems: string[] = [];
  const fail = (field: string) => problems.push(field);
  if (typeof input !== "object" || input === null) return ["not an object"];
  const video = input as Json;
  if (video.type !== "Video") return ["type"];

  // setValidRemoteVideoUrls: `url` must be an array; invalid entries are dropped.
  if (!Array.isArray(video.url)) fail("url is not an array");
  const urls = asArray(video.url) as Json[];
  const files = urls.filter(
    (u) =>
      u?.type === "Link" &&
      VIDEO_MIME.has(String(u.mediaType)) &&
      isUrl(u.href) &&
      isInt(u.height) &&
      isInt(u.size) &&
      (u.fps === undefined || isInt(u.fps, -1)),
  );
  if (files.length === 0)
    fail("url: no valid video file Link (mediaType, href, height, size, fps)");
  const first = urls[0];
  if (first?.type !== "Link" || first.mediaType !== "text/html" || !isUrl(first.href)) {
    fail("url: the first entry is not the text/html Link");
  }

  // setValidAttributedTo + the channel lookup.
  const attributedTo = asArray(video.attributedTo).filter(
    (a) =>
      isUrl(a) ||
      ((((a as Json)?.type === "Group" || (a as Json)?.type === "Person") &&
        isUrl((a as Json).id)) as boolean),
  ) as Json[];
  if (attributedTo.length === 0) fail("attributedTo");
  const group = attributedTo.find((a) => a.type === "Group");
  if (!group) fail("attributedTo: no Group (the channel)");
  else if (isUrl(video.id) && new URL(String(group.id)).host !== new URL(video.id).host) {
    fail("attributedTo: the channel is not on the video's host");
  }

  // setValidRemoteCaptions
  if (video.subtitleLanguage !== undefined && !Array.isArray(video.subtitleLanguage)) {
    fail("subtitleLanguage");
  }
  for (const caption of asArray(video.subtitleLanguage) as Json[]) {
    const links = asArray(caption.url) as Json[];
    const ok = links.some((l) => l?.type === "Link" && isUrl(l.href) && l.mediaType === "text/vtt");
    if (!ok || typeof caption.identifier !== "string") fail("subtitleLanguage entry");
  }

  // setValidRemoteIcon: at least one Image with url, image mediaType, integer size.
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
  if (icons.length === 0) fail("icon");

  // Absent commentsPolicy silently disables comments on the PeerTube side.
  if (![1, 2, 3].includes(video.commentsPolicy as number)) fail("commentsPolicy");
  if (!isUrl(video.id)) fail("id");
  if (typeof video.name !== "string" || video.name.length < 3 || video.name.length > 120) {
    fail("name");
  }
  // isActivityPubVideoDurationValid, and whole seconds (the parser reads the first number only).
  if (typeof video.duration !== "string" || !/^PT\d+S$/.test(video.duration)) fail("duration");
  if (typeof video.uuid !== "string" || !UUID.test(video.uuid)) fail("uuid");
  if (video.language !== undefined && typeof (video.language as Json)?.identifier !== "string") {
    fail("language");
  }
  if (!isInt(video.views)) fail("views");
  if (!isDate(video.published)) fail("published");
  if (!isDate(video.updated)) fail("updated");
  if (video.content !== undefined && video.content !== null) {
    const okType = video.mediaType === "text/markdown" || video.mediaType === "text/html";
    const len = typeof video.content === "string" ? video.content.length : -1;
    if (!okType || len < 3 || len > 10_000) fail("mediaType/content");
  }
  for (const tag of asArray(video.tag) as Json[]) {
    if (tag?.type === "Hashtag" && (typeof tag.name !== "string" || tag.name.length < 2)) {
      fail("tag");
    }
  }
  return problems;
}
