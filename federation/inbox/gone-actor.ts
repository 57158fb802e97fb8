import type { Context, RequestContext, UnverifiedActivityReason } from "@fedify/fedify";
import { type Activity, Delete } from "@fedify/vocab";
import { FetchError } from "@fedify/vocab-runtime";
import { rememberDeletion } from "../../src/comments/deleted-notes.service.ts";
import { purgeRemoteActor } from "../../src/remote/remote-actor.service.ts";
import type { HavenContext } from "../context.ts";
import { signedLoader } from "./loader.ts";

/** A `Delete` whose object is its own actor: an account deleting itself. */
export function isSelfDelete(activity: { type?: unknown; actor?: unknown; object?: unknown }) {
  const id = (v: unknown) =>
    typeof v === "string"
      ? v
      : typeof v === "object" && v !== null
        ? (v as { id?: unknown }).id
        : v;
  const actor = id(activity.actor);
  return activity.type === "Delete" && typeof actor === "string" && actor === id(activity.object);
}

/**
 * Whether the actor's own origin says the actor is gone: its document
 * answers 410 to a fresh, signed GET (never a cached copy).
 */
export async function actorIsGone(ctx: Context<HavenContext>, actorId: URL): Promise<boolean> {
  try {
    await (await signedLoader(ctx)).documentLoader(actorId.href);
    return false;
  } catch (error) {
    return error instanceof FetchError && error.response?.status === 410;
  }
}

/**
 * Mastodon deletes an account, then sends `Delete{actor}` signed with the
 * deleted account's key — whose document now answers 410 Gone, so the
 * signature cannot be checked unless we still hold the key. The Delete
 * tells us nothing we cannot confirm ourselves: if the actor's document
 * (same origin as the key) answers 410 when we fetch it, the actor is gone,
 * whoever sent this; forget it and answer 202 so the sender stops retrying.
 * Every other unverified activity keeps Fedify's 401.
 */
export async function onUnverifiedActivity(
  ctx: RequestContext<HavenContext>,
  activity: Activity,
  reason: UnverifiedActivityReason,
): Promise<Response | undefined> {
  if (!(activity instanceof Delete) || reason.type !== "keyFetchError") return;
  if (!("status" in reason.result) || reason.result.status !== 410) return;
  const actorId = activity.actorId;
  if (actorId == null || activity.objectId?.href !== actorId.href) return;
  if (reason.keyId.origin !== actorId.origin) return;
  if (!(await actorIsGone(ctx, actorId))) return;
  await purgeRemoteActor(ctx.data.db, actorId.href);
  await rememberDeletion(ctx.data.db, actorId.href, actorId.href);
  return new Response(null, { status: 202 });
}
