import type { Federation } from "@fedify/fedify";
import { findActorByHandle } from "../src/actors/actor.service.ts";
import type { HavenContext } from "./context.ts";

/** The outbox lists what an actor published; videos fill it (see video federation). */
export function registerOutbox(federation: Federation<HavenContext>): void {
  federation
    .setOutboxDispatcher("/users/{identifier}/outbox", async (ctx, identifier) => {
      const actor = await findActorByHandle(ctx.data.db, identifier);
      return actor ? { items: [] } : null;
    })
    .setCounter(() => 0);
}
