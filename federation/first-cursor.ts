import type { Context } from "@fedify/fedify";
import { findActorByHandle } from "../src/actors/actor.service.ts";
import type { HavenContext } from "./context.ts";

/**
 * The first page's cursor, or null for a handle we do not host: Fedify then
 * asks the dispatcher for the whole collection, which answers null, and the
 * URL is a 404 like the actor's own (an unconditional "" would serve an
 * empty collection for any name).
 */
export async function firstCursorOfKnownActor(
  ctx: Context<HavenContext>,
  identifier: string,
): Promise<string | null> {
  return (await findActorByHandle(ctx.data.db, identifier)) ? "" : null;
}
