import { and, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { deletedNotes } from "../db/schema/index.ts";

/**
 * How long a Delete that found nothing is remembered: 6 hours, as Mastodon
 * does (`delete_upon_arrival` keys in Redis, ActivityPub::Activity::Delete):
 * retries of an out-of-order Create arrive within that time.
 */
export const DELETED_NOTE_TTL_MS = 6 * 60 * 60 * 1000;
/** A deleted account is remembered longer: its last deliveries retry for up to two days. */
export const DELETED_ACTOR_TTL_MS = 2 * 24 * 60 * 60 * 1000;

/**
 * Remembers that `actorIri` deleted `noteIri` (or itself, when both are the
 * same). Only the author's own Delete is recorded, so nobody can pre-delete
 * someone else's reply. Expired entries are pruned on the way.
 */
export async function rememberDeletion(
  db: Db,
  actorIri: string,
  noteIri: string,
  ttlMs = noteIri === actorIri ? DELETED_ACTOR_TTL_MS : DELETED_NOTE_TTL_MS,
): Promise<void> {
  await db.delete(deletedNotes).where(lte(deletedNotes.expiresAt, sql`now()`));
  const expiresAt = new Date(Date.now() + ttlMs);
  await db
    .insert(deletedNotes)
    .values({ actorIri, noteIri, expiresAt })
    .onConflictDoUpdate({
      target: [deletedNotes.actorIri, deletedNotes.noteIri],
      set: { expiresAt },
    });
}

/** Whether the author already deleted this Note, or its own account. */
export async function wasDeleted(db: Db, actorIri: string, noteIri: string): Promise<boolean> {
  const rows = await db
    .select({ n: deletedNotes.noteIri })
    .from(deletedNotes)
    .where(
      and(
        eq(deletedNotes.actorIri, actorIri),
        inArray(deletedNotes.noteIri, [noteIri, actorIri]),
        gt(deletedNotes.expiresAt, sql`now()`),
      ),
    )
    .limit(1);
  return rows.length > 0;
}
