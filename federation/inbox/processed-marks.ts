import { eq } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { fedifyKv } from "../../src/db/schema/index.ts";

/** Fedify's default `kvPrefixes.activityIdempotence` (we do not override it). */
const IDEMPOTENCE_PREFIX = ["_fedify", "activityIdempotence"] as const;

/**
 * Lets Fedify process an activity id again. Fedify 2.3.6's inbox worker
 * skips any activity whose id it processed in the last day, keyed
 * `[…prefix, <origin the request came in on>, <activity id>]` — whatever
 * `withIdempotency` says, which only governs the un-queued path. That is
 * the replay defence we want (SECURITY.md #6), except for a Follow that was
 * undone: Misskey and its forks give a Follow a deterministic id
 * (`…/follows/<follower>/<followee>`), so unfollow + follow again within a
 * day re-sends the same id, and it would be dropped as a duplicate.
 *
 * Keys live in `fedify_kv` as `JSON.stringify(key)` (see PostgresKvStore).
 */
export async function forgetProcessedActivity(
  db: Db,
  origin: string,
  activityId: string,
): Promise<void> {
  const key = JSON.stringify([...IDEMPOTENCE_PREFIX, origin, activityId]);
  await db.delete(fedifyKv).where(eq(fedifyKv.key, key));
}
