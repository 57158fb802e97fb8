import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { remoteActors, supportVideos, videoComments } from "../db/schema/index.ts";
import { COMMENT_AUTHOR_COLUMNS, type CommentWithAuthor } from "./comment.service.ts";

export interface HeldReply extends CommentWithAuthor {
  video: { id: string; title: string; channelId: string };
}

/** Held replies on the given channels' videos, oldest first (a queue is worked in order). */
export async function listHeldReplies(
  db: Db,
  channelIds: string[],
  limit = 100,
): Promise<HeldReply[]> {
  if (channelIds.length === 0) return [];
  return db
    .select({
      comment: videoComments,
      author: COMMENT_AUTHOR_COLUMNS,
      video: {
        id: supportVideos.id,
        title: supportVideos.title,
        channelId: supportVideos.channelId,
      },
    })
    .from(videoComments)
    .innerJoin(remoteActors, eq(remoteActors.id, videoComments.authorId))
    .innerJoin(supportVideos, eq(supportVideos.id, videoComments.videoId))
    .where(and(eq(videoComments.state, "held"), inArray(supportVideos.channelId, channelIds)))
    .orderBy(asc(videoComments.publishedAt), asc(videoComments.id))
    .limit(limit);
}
