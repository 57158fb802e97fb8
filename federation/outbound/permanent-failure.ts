import type { Federation } from "@fedify/fedify";
import { eq, or } from "drizzle-orm";
import { remoteActors } from "../../src/db/schema/index.ts";
import type { HavenContext } from "../context.ts";

/**
 * A 410 Gone (or 404) from a follower's inbox means the account is gone:
 * forget it (its follows cascade), as Mastodon does, so we stop delivering.
 * A shared inbox answering 410 is not proof that every account is gone, so
 * only personal inboxes are purged.
 */
export function registerPermanentFailureHandler(federation: Federation<HavenContext>): void {
  federation.setOutboxPermanentFailureHandler(async (ctx, { inbox, statusCode, reason }) => {
    if (reason !== "http" || statusCode !== 410) return;
    await ctx.data.db.delete(remoteActors).where(or(eq(remoteActors.inboxUrl, inbox.href)));
  });
}
