import type { Federation } from "@fedify/fedify";
import { Update } from "@fedify/vocab";
import { findActorById } from "../../src/actors/actor.service.ts";
import type { OutboundEvent } from "../../src/events/outbound.ts";
import { findRemoteActor } from "../../src/remote/remote-actor.service.ts";
import type { ActorDocumentCache } from "../actor-documents.ts";
import type { HavenContext } from "../context.ts";
import { enqueuePayload } from "./delivery-payloads.ts";
import { TO_FOLLOWERS } from "./send-options.ts";

export type OutboundHandler = (event: OutboundEvent, eventId: string) => Promise<void>;

/**
 * Turns what happened locally into activities. Runs in a worker (from the
 * durable event queue), never inside an HTTP request. Activity ids derive
 * from the event id, so a retried event re-sends the same activity and
 * remotes deduplicate it.
 */
export function createOutboundPublisher(
  federation: Federation<HavenContext>,
  contextData: HavenContext,
  actorDocuments: ActorDocumentCache,
  extra: Partial<Record<OutboundEvent["type"], OutboundHandler>> = {},
): OutboundHandler {
  const origin = new URL(contextData.config.publicUrl.origin);
  return async (event, eventId) => {
    const ctx = federation.createContext(origin, contextData);
    const db = contextData.db;
    switch (event.type) {
      case "follow.accepted":
      case "follow.rejected": {
        const followee = await findActorById(db, event.followeeId);
        const follower = await findRemoteActor(db, event.followerIri);
        if (!followee || !follower) return;
        const actorUri = ctx.getActorUri(followee.handle).href;
        const type = event.type === "follow.accepted" ? "Accept" : "Reject";
        // Built as Mastodon builds its own Accept/Reject (the Follow embedded
        // with its id) and posted as is: Fedify's sendActivity would add an
        // integrity proof and a Linked Data signature (JSON-LD normalisation,
        // ~12 ms of CPU per follower) that no receiver needs for a reply
        // addressed to one inbox.
        const activity = {
          "@context": "https://www.w3.org/ns/activitystreams",
          id: `${actorUri}#${type === "Accept" ? "accepts" : "rejects"}/${eventId}`,
          type,
          actor: actorUri,
          object: { id: event.activityIri, type: "Follow", actor: follower.iri, object: actorUri },
        };
        // PeerTube takes an Accept only at the follower's personal inbox.
        await enqueuePayload(
          db,
          {
            activityId: activity.id,
            activityType: `https://www.w3.org/ns/activitystreams#${type}`,
            sender: followee.handle,
            keyId: `${actorUri}#main-key`,
            body: JSON.stringify(activity),
          },
          [{ inbox: follower.inboxUrl, actorIds: [follower.iri] }],
        );
        return;
      }
      case "actor.updated": {
        const actor = await findActorById(db, event.actorId);
        if (!actor) return;
        const object = await actorDocuments.get(ctx, actor);
        const actorUri = ctx.getActorUri(actor.handle);
        await ctx.sendActivity(
          { identifier: actor.handle },
          "followers",
          new Update({
            id: new URL(`${actorUri.href}#updates/${eventId}`),
            actor: actorUri,
            to: new URL("https://www.w3.org/ns/activitystreams#Public"),
            object,
          }),
          TO_FOLLOWERS,
        );
        return;
      }
      default: {
        const handler = extra[event.type];
        if (handler) await handler(event, eventId);
      }
    }
  };
}
