import type { Federation, RequestContext } from "@fedify/fedify";
import { findActorByHandle } from "../src/actors/actor.service.ts";
import {
  countAcceptedFollowers,
  listFollowerRecipients,
} from "../src/follows/follower-recipients.ts";
import { getHideCounts } from "../src/instance/instance-settings.ts";
import { domainOf } from "../src/remote/remote-actor.service.ts";
import type { HavenContext } from "./context.ts";
import { firstCursorOfKnownActor } from "./first-cursor.ts";
import { registerOutbox } from "./outbox.ts";
import { deliverableFollowers } from "./videos/video-recipients.ts";

const PAGE_SIZE = 50;

/**
 * Followers: the full list goes only to Fedify's own delivery code. Over HTTP
 * the collection shows its `totalItems` (unless counts are hidden), and a page lists only the followers
 * on the requesting server (a signed fetch) — enough for Mastodon's follower
 * synchronisation, without publishing who follows a support channel.
 */
export function registerCollections(federation: Federation<HavenContext>): void {
  federation
    .setFollowersDispatcher("/users/{identifier}/followers", async (ctx, identifier, cursor) => {
      const actor = await findActorByHandle(ctx.data.db, identifier);
      if (!actor) return null;
      const isHttp = "request" in ctx && (ctx as RequestContext<HavenContext>).request != null;
      if (cursor === null && !isHttp) {
        // Delivery: recipients the policy rejects are left out.
        const rows = await deliverableFollowers(ctx.data.db, ctx.data.moderation, actor.id);
        return {
          items: rows.map((r) => ({
            id: new URL(r.iri),
            inboxId: new URL(r.inboxUrl),
            endpoints: r.sharedInboxUrl ? { sharedInbox: new URL(r.sharedInboxUrl) } : null,
          })),
        };
      }
      let domain: string | null = null;
      if (isHttp) {
        const owner = await (ctx as RequestContext<HavenContext>).getSignedKeyOwner();
        if (owner?.id) domain = domainOf(owner.id.href);
      }
      if (domain === null) return { items: [], nextCursor: null };
      const rows = await listFollowerRecipients(ctx.data.db, actor.id, {
        domain,
        afterId: cursor || undefined,
        limit: PAGE_SIZE,
      });
      const last = rows.at(-1);
      return {
        items: rows.map((r) => ({
          id: new URL(r.iri),
          inboxId: new URL(r.inboxUrl),
          endpoints: r.sharedInboxUrl ? { sharedInbox: new URL(r.sharedInboxUrl) } : null,
        })),
        nextCursor: rows.length === PAGE_SIZE && last ? last.followId : null,
      };
    })
    // With counts hidden (the default) the collection has no `totalItems`:
    // Fedify leaves it out when the counter gives null, and Mastodon then
    // shows the channel's follower count as hidden.
    .setCounter(async (ctx, identifier) => {
      if (await getHideCounts(ctx.data.db)) return null;
      const actor = await findActorByHandle(ctx.data.db, identifier);
      return actor ? countAcceptedFollowers(ctx.data.db, actor.id) : null;
    })
    .setFirstCursor(firstCursorOfKnownActor);

  // Channels and members follow nobody remote (yet): an empty, countable collection.
  federation
    .setFollowingDispatcher("/users/{identifier}/following", async (ctx, identifier) => {
      const actor = await findActorByHandle(ctx.data.db, identifier);
      return actor ? { items: [] } : null;
    })
    .setCounter(() => 0);

  registerOutbox(federation);
}
