import type { InboxContext } from "@fedify/fedify";
import { type Delete, isActor, Tombstone, type Update } from "@fedify/vocab";
import { rememberDeletion } from "../../src/comments/deleted-notes.service.ts";
import {
  findRemoteActor,
  purgeRemoteActor,
  upsertRemoteActor,
} from "../../src/remote/remote-actor.service.ts";
import type { HavenContext } from "../context.ts";
import { toRemoteActorInput } from "../objects/remote-actor.ts";
import { signedLoader } from "./loader.ts";

/**
 * Update{actor}: refresh what we hold — but only of an actor we already know,
 * only by itself, and from a fresh fetch at its own origin (never trusting
 * the embedded copy).
 */
export async function onUpdate(ctx: InboxContext<HavenContext>, update: Update): Promise<void> {
  if (update.actorId == null || update.objectId == null) return;
  if (update.objectId.href !== update.actorId.href) return; // other Updates: objects, handled elsewhere
  if (!(await findRemoteActor(ctx.data.db, update.actorId.href))) return;
  const fresh = await ctx.lookupObject(update.actorId, await signedLoader(ctx)).catch(() => null);
  if (!isActor(fresh) || fresh.id?.href !== update.actorId.href) return;
  const input = await toRemoteActorInput(fresh);
  if (input) await upsertRemoteActor(ctx.data.db, input);
}

/** Delete{actor} by that actor: purge it and everything hanging off it. */
export async function onDelete(ctx: InboxContext<HavenContext>, del: Delete): Promise<void> {
  if (del.actorId == null || del.objectId == null) return;
  if (del.objectId.href !== del.actorId.href) return; // Delete of objects: handled elsewhere
  const object = await del.getObject({ ...ctx, suppressError: true }).catch(() => null);
  if (object != null && !(object instanceof Tombstone) && !isActor(object)) return;
  await purgeRemoteActor(ctx.data.db, del.actorId.href);
  // A reply of theirs still on its way (or retried) must not bring them back.
  await rememberDeletion(ctx.data.db, del.actorId.href, del.actorId.href);
}
