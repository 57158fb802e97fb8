import { getLogger } from "@logtape/logtape";
import { sql } from "drizzle-orm";
import { type Db, queryRows } from "../../src/db/client.ts";
import { forgetProcessedActivity } from "../inbox/processed-marks.ts";
import type { GuardedInboxPost } from "./inbox-fast-path.ts";
import { signatureTime } from "./signature-time.ts";

const logger = getLogger(["haven", "federation", "inbox"]);

/**
 * Activity ids that were undone, and the signature time after which a copy
 * of that id counts as new.
 *
 * Fedify drops an activity whose id it processed in the last day. Servers
 * reuse ids on purpose: PeerTube's Like is `<actor>/likes/<video>` and its
 * Undo `<like>/undo` every time, Misskey's Follow `…/follows/<a>/<b>`; so
 * like → unlike → like again (or a second unlike, or a re-follow) would be
 * dropped. But forgetting an id on Undo lets anyone who saw the original
 * signed request replay it within the signature window (±1 h) and undo the
 * Undo. Rule: once an id was undone by an Undo signed at T, a copy of it is
 * processed again only when its own signature is newer than T; older copies
 * (replays) are ignored. Each copy admitted that way moves T to its own
 * signature time, so it cannot be replayed either. An Undo's own id gets
 * the same treatment (PeerTube's second unlike reuses the first's id).
 * Signature times have one-second resolution: a reuse signed in the same
 * second as the Undo is indistinguishable from a replay and is ignored.
 *
 * Stored in `fedify_kv` (expired rows are purged with Fedify's) for two
 * days: longer than Fedify's one-day processed marks, so an id whose entry
 * lapsed has no mark left either, and long past the signature window, after
 * which no copy signed before T verifies anyway.
 */
const PREFIX = ["haven", "undoneActivity"] as const;
const KEEP = sql`interval '2 days'`;

export type Admission =
  /** Never undone (or long ago): Fedify's processed marks decide, as for any activity. */
  | { readonly kind: "fresh" }
  /** Undone before and signed after the Undo: processed again. */
  | { readonly kind: "reuse"; readonly signedAt: number }
  /** Undone after this copy was signed: ignored. */
  | { readonly kind: "replay"; readonly undoneAt: number };

/**
 * Decides, before dispatch, whether `post` reuses an undone id. For a
 * reuse, Fedify's processed mark is forgotten now, so the worker runs it.
 * Harmless if the signature later fails: older copies stay refused here.
 */
export async function admitActivity(
  db: Db,
  post: GuardedInboxPost,
  origins: readonly string[],
): Promise<Admission> {
  const id = idOf(post.activity);
  if (id === null) return { kind: "fresh" };
  const undoneAt = await barrier(db, id);
  if (undoneAt === null) return { kind: "fresh" };
  const signedAt = signatureTime(post.request.headers);
  if (signedAt === null || signedAt <= undoneAt) {
    logger.info("Ignored {activityId}: undone at {undoneAt}, this copy signed at {signedAt}.", {
      activityId: id,
      undoneAt: new Date(undoneAt).toISOString(),
      signedAt: signedAt === null ? null : new Date(signedAt).toISOString(),
    });
    return { kind: "replay", undoneAt };
  }
  for (const origin of new Set(origins)) await forgetProcessedActivity(db, origin, id);
  return { kind: "reuse", signedAt };
}

/**
 * After the signature verified and the activity was queued (2xx): an
 * admitted reuse raises its own barrier; an Undo raises the barrier of the
 * activity it undoes and of its own id. Only ids on the Undo's actor's host
 * (the guard already holds the Undo's own id to it): nobody sets barriers
 * for another server's ids. Whether the Undo is its actor's to make is the
 * listener's business; a barrier alone only refuses older copies.
 */
export async function rememberAccepted(
  db: Db,
  post: GuardedInboxPost,
  admission: Admission,
): Promise<void> {
  const id = idOf(post.activity);
  if (admission.kind === "reuse" && id !== null) await raise(db, id, admission.signedAt);
  const activity = post.activity as { type?: unknown; object?: unknown };
  if (activity.type !== "Undo") return;
  const signedAt = signatureTime(post.request.headers);
  const objectId = idOf(activity.object);
  if (signedAt === null || objectId === null) return;
  if (hostOf(objectId) !== post.actorId.host) return;
  await raise(db, objectId, signedAt);
  if (id !== null) await raise(db, id, signedAt);
}

/** An activity's id: the string, or the `id` of an embedded object. */
function idOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" ? id : null;
}

function hostOf(iri: string): string | null {
  try {
    return new URL(iri).host;
  } catch {
    return null;
  }
}

const keyOf = (id: string) => JSON.stringify([...PREFIX, id]);

async function barrier(db: Db, id: string): Promise<number | null> {
  const rows = await queryRows<{ at: number }>(
    db,
    sql`SELECT (value::text)::float8 AS at FROM fedify_kv
        WHERE key = ${keyOf(id)} AND (expires_at IS NULL OR expires_at > now())`,
  );
  const at = rows[0]?.at;
  return at === undefined ? null : Number(at);
}

/** Sets the barrier to `at` unless a later one stands (atomic: one statement). */
async function raise(db: Db, id: string, at: number): Promise<void> {
  await db.execute(sql`
    INSERT INTO fedify_kv AS kv (key, value, expires_at)
    VALUES (${keyOf(id)}, ${String(at)}::json, now() + ${KEEP})
    ON CONFLICT (key) DO UPDATE SET
      value = CASE
        WHEN kv.expires_at > now() AND (kv.value::text)::float8 >= (excluded.value::text)::float8
        THEN kv.value ELSE excluded.value END,
      expires_at = excluded.expires_at`);
}
