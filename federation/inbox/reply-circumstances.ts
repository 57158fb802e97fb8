import type { Context } from "@fedify/fedify";
import { isTrustedBy } from "../../src/channels/trusted-accounts.service.ts";
import type { AuthorStanding, ReplyCircumstances } from "../../src/comments/comment-policy.ts";
import { htmlToPlainText } from "../../src/comments/sanitize-html.ts";
import { loadWatchedWordMatcher } from "../../src/comments/watched-word.service.ts";
import { isLockedDown } from "../../src/moderation/lockdown.service.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import type { HavenContext } from "../context.ts";
import type { RemoteNoteFields } from "../objects/remote-note.ts";

/** A reply as the hold rules read it: its fields and its media descriptions. */
export interface ReplyToJudge {
  fields: RemoteNoteFields;
  author: URL;
  standing: AuthorStanding;
  /** Alt texts of its attachments (mediaDescriptionsOf). */
  mediaDescriptions: readonly string[];
}

/**
 * What src/comments/comment-policy.ts needs to judge a reply to `video`:
 * the channel's trust in its author, lockdowns, and the watched words found
 * in its text, content warning and media descriptions (as plain text: the
 * HTML is stripped first, so markup cannot split a word).
 */
export async function circumstancesOf(
  ctx: Context<HavenContext>,
  video: Pick<SupportVideo, "channelId" | "commentsPolicy">,
  reply: ReplyToJudge,
): Promise<ReplyCircumstances> {
  const db = ctx.data.db;
  const [trusted, lockdown, matcher] = await Promise.all([
    isTrustedBy(db, video.channelId, reply.author.href),
    isLockedDown(db, video.channelId),
    loadWatchedWordMatcher(db),
  ]);
  const texts = [
    htmlToPlainText(reply.fields.html),
    htmlToPlainText(reply.fields.summary ?? ""),
    ...reply.mediaDescriptions,
  ];
  return {
    policy: video.commentsPolicy,
    author: reply.standing,
    trusted,
    lockdown,
    watchedWord: matcher.firstMatch(texts),
  };
}
