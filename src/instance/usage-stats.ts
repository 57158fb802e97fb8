import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/client.ts";
import { accounts, apiTokens, supportVideos } from "../db/schema/index.ts";

/** What NodeInfo's `usage` reports about this instance. */
export interface UsageStats {
  /** People with an account (members who log in). */
  users: number;
  /** Accounts active in the last 30 / 180 days (NodeInfo's "signed in" windows). */
  activeMonth: number;
  activeHalfyear: number;
  /** Published videos: the only posts Haven's members make. */
  localPosts: number;
  /**
   * Always 0: every comment Haven stores is a reply from another server
   * (`video_comments.author_id` references `remote_actors`); members do not comment here.
   */
  localComments: number;
}

/**
 * Usage counts in one round trip. "Active" is what we record: an account
 * that signed in (every sign-in, API or CLI, issues a token) or uploaded a
 * video in the window. Haven keeps no last-seen time, so an account that
 * only used an older token counts as active until that token's month is over.
 */
export async function readUsageStats(db: Db, now = new Date()): Promise<UsageStats> {
  const month = new Date(now.getTime() - 30 * 86_400_000);
  const halfyear = new Date(now.getTime() - 180 * 86_400_000);
  const [row] = await queryRows<{
    users: number;
    active_month: number;
    active_halfyear: number;
    local_posts: number;
  }>(
    db,
    sql`WITH activity AS (
          SELECT ${apiTokens.accountId} AS account_id, ${apiTokens.createdAt} AS at
            FROM ${apiTokens}
          UNION ALL
          SELECT ${supportVideos.uploaderAccountId}, ${supportVideos.createdAt}
            FROM ${supportVideos}
           WHERE ${supportVideos.uploaderAccountId} IS NOT NULL
        )
        SELECT (SELECT count(*)::int FROM ${accounts}) AS users,
               (SELECT count(DISTINCT account_id)::int FROM activity
                 WHERE at >= ${month.toISOString()}::timestamptz) AS active_month,
               (SELECT count(DISTINCT account_id)::int FROM activity
                 WHERE at >= ${halfyear.toISOString()}::timestamptz) AS active_halfyear,
               (SELECT count(*)::int FROM ${supportVideos}
                 WHERE ${supportVideos.state} = 'published') AS local_posts`,
  );
  return {
    users: row?.users ?? 0,
    activeMonth: row?.active_month ?? 0,
    activeHalfyear: row?.active_halfyear ?? 0,
    localPosts: row?.local_posts ?? 0,
    localComments: 0,
  };
}
