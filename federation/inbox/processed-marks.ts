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
 * the replay defence we want (a delivery replayed has one effect), except for an id that was
 * undone and comes back in a newer signed request (PeerTube re-likes with
 * the same Like id; Misskey re-follows with the same Follow id): see
 * http/undone-activities.ts, the only caller, which decides when.
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
