import { and, asc, desc, eq, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { supportVideos, videoCaptions, videoViews } from "../db/schema/index.ts";

/**
 * Read-only queries the federation edge needs to show videos to other
 * servers. Writing (upload, processing, edits) lives in video.service.ts.
 */

export type SupportVideo = typeof supportVideos.$inferSelect;
export type VideoCaption = typeof videoCaptions.$inferSelect;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Any state. Null for an unknown id (or one that is not a UUID: the id comes from a URL). */
export async function findSupportVideo(db: Db, id: string): Promise<SupportVideo | null> {
  if (!UUID.test(id)) return null;
  const [row] = await db.select().from(supportVideos).where(eq(supportVideos.id, id)).limit(1);
  return row ?? null;
}

export async function listVideoCaptions(db: Db, videoId: string): Promise<VideoCaption[]> {
  return db
    .select()
    .from(videoCaptions)
    .where(eq(videoCaptions.videoId, videoId))
    .orderBy(asc(videoCaptions.language));
}

export async function countVideoViews(db: Db, videoId: string): Promise<number> {
  const [row] = await db
    .select({ count: videoViews.count })
    .from(videoViews)
    .where(eq(videoViews.videoId, videoId));
  return row?.count ?? 0;
}

/** Where a page of a channel's videos starts: after this (publishedAt, id), newest first. */
export interface VideoPageCursor {
  publishedAt: Date;
  id: string;
}

// PostgreSQL keeps microseconds, a JS Date (the cursor) only milliseconds:
// compare at millisecond precision or rows within one millisecond are skipped.
const publishedMs = sql<Date>`date_trunc('milliseconds', ${supportVideos.publishedAt})`;

/** Published videos of a channel, newest first, keyset-paged (stable while new ones arrive). */
export async function listPublishedVideosOfChannel(
  db: Db,
  channelId: string,
  options: { limit: number; after?: VideoPageCursor | null },
): Promise<SupportVideo[]> {
  const conditions = [
    eq(supportVideos.channelId, channelId),
    eq(supportVideos.state, "published"),
    sql`${supportVideos.publishedAt} IS NOT NULL`,
  ];
  const after = options.after;
  if (after) {
    const at = sql`${after.publishedAt.toISOString()}::timestamptz`;
    const cursorCondition = or(
      sql`${publishedMs} < ${at}`,
      and(sql`${publishedMs} = ${at}`, lt(supportVideos.id, after.id)),
    );
    if (cursorCondition) conditions.push(cursorCondition);
  }
  return db
    .select()
    .from(supportVideos)
    .where(and(...conditions))
    .orderBy(desc(publishedMs), desc(supportVideos.id))
    .limit(options.limit);
}

export async function countPublishedVideosOfChannel(db: Db, channelId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(supportVideos)
    .where(
      and(
        eq(supportVideos.channelId, channelId),
        eq(supportVideos.state, "published"),
        sql`${supportVideos.publishedAt} IS NOT NULL`,
      ),
    );
  return row?.n ?? 0;
}
