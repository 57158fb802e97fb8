import type { Context } from "@fedify/fedify";
import { isActor } from "@fedify/vocab";
import {
  findRemoteActorRef,
  type RemoteActor,
  type RemoteActorRef,
  upsertRemoteActor,
} from "../../src/remote/remote-actor.service.ts";
import type { HavenContext } from "../context.ts";
import { toRemoteActorInput } from "../objects/remote-actor.ts";
import { signedLoader } from "./loader.ts";

/**
 * How long a stored actor row stands in for its document. Mastodon refreshes
 * a known account it hears from once it is a day old (`Account#possibly_stale?`);
 * an actor that changes its profile in between sends `Update`, which refreshes
 * the row at once (actor-lifecycle.ts).
 */
export const ACTOR_REFRESH_AFTER_MS = 24 * 60 * 60 * 1000;

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

/**
 * Follows and replies use what the actor says about itself (inbox, name):
 * the stored row while it is younger than ACTOR_REFRESH_AFTER_MS, else a
 * fresh fetch. Saves a signed GET, a JSON-LD parse and an upsert per
 * activity from an actor we heard from recently. Callers ask the moderation
 * policy first, so a row kept for a since-suspended actor is never used.
 */
export async function recentOrFetchedActor(
  ctx: Context<HavenContext>,
  actorId: URL,
  now: number = Date.now(),
): Promise<RemoteActorRef | null> {
  const known = await findRemoteActorRef(ctx.data.db, actorId.href);
  if (known && now - known.fetchedAt.getTime() < ACTOR_REFRESH_AFTER_MS) return known;
  return fetchRemoteActor(ctx, actorId);
}
