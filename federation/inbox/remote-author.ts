import type { Context } from "@fedify/fedify";
import { isActor } from "@fedify/vocab";
import {
  findRemoteActor,
  type RemoteActor,
  upsertRemoteActor,
} from "../../src/remote/remote-actor.service.ts";
import type { HavenContext } from "../context.ts";
import { toRemoteActorInput } from "../objects/remote-actor.ts";
import { signedLoader } from "./loader.ts";

/**
 * The activity's actor as we store it, from a fresh signed fetch at its own
 * origin (never an embedded copy): its document's id must be the IRI asked for.
 */
export async function fetchRemoteActor(
  ctx: Context<HavenContext>,
  actorId: URL,
): Promise<RemoteActor | null> {
  const fresh = await ctx.lookupObject(actorId.href, await signedLoader(ctx)).catch(() => null);
  if (!isActor(fresh) || fresh.id?.href !== actorId.href) return null;
  const input = await toRemoteActorInput(fresh);
  return input ? upsertRemoteActor(ctx.data.db, input) : null;
}

/** Likes and boosts only need a row to hang on: a known actor is not fetched again. */
export async function knownOrFetchedActor(
  ctx: Context<HavenContext>,
  actorId: URL,
): Promise<RemoteActor | null> {
  return (await findRemoteActor(ctx.data.db, actorId.href)) ?? fetchRemoteActor(ctx, actorId);
}
