import type { Context } from "@fedify/fedify";
import { INSTANCE_ACTOR_HANDLE } from "../../src/actors/handle.ts";
import type { HavenContext } from "../context.ts";

/** Fetch options that sign GETs as the instance actor (authorized-fetch peers need it). */
export async function signedLoader(ctx: Context<HavenContext>) {
  return {
    documentLoader: await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR_HANDLE }),
    contextLoader: ctx.contextLoader,
  };
}
