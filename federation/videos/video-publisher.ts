import type { Context, Federation, RetryPolicy } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { findActorById } from "../../src/actors/actor.service.ts";
import type { Database } from "../../src/db/client.ts";
import type { OutboundEvent } from "../../src/events/outbound.ts";
import { exemptList, systemResolveHost } from "../../src/net/destination.ts";
import type { SafeFetch } from "../../src/net/safe-fetch.ts";
import type { HavenContext } from "../context.ts";
import type { ActorKeyCache } from "../keys.ts";
import { GuardedOutboxQueue } from "../outbound/delivery-guard.ts";
import type { OutboundHandler } from "../outbound/publisher.ts";
import { PostgresMessageQueue } from "../storage/index.ts";
import { InstanceSoftwareResolver } from "./instance-software.ts";
import { RAW_OUTBOX_QUEUE, RawDelivery, type RawDeliveryMessage } from "./raw-delivery.ts";
import {
  announceVideoActivity,
  createNoteActivity,
  type DeletedVideoUrls,
  deleteNoteActivity,
  deleteVideoActivity,
  updateNoteActivity,
  updateVideoActivityJson,
} from "./video-activities.ts";
import { loadVideo, noteUri, videoUri } from "./video-face.ts";
import { coalesceInboxes, peertubeFollowers, toRecipient } from "./video-recipients.ts";

const logger = getLogger(["haven", "federation", "videos"]);

/** What video federation needs from the composition root; `Deps` (src/app.ts) fits. */
export interface VideoPublishingDeps {
  readonly federation: Federation<HavenContext>;
  readonly contextData: HavenContext;
  readonly database: Database;
  readonly safeFetch: SafeFetch;
  readonly fed: { readonly keys: ActorKeyCache; readonly outboxRetryPolicy: RetryPolicy };
}

export interface VideoPublishing {
  /** Plug into `createOutboundPublisher(…, extra)`. */
  readonly handlers: Partial<Record<OutboundEvent["type"], OutboundHandler>>;
  /** The worker for raw (byte-exact) deliveries; run it beside Fedify's queues. */
  listen(signal: AbortSignal): Promise<void>;
  readonly software: InstanceSoftwareResolver;
  readonly raw: RawDelivery;
}

/**
 * Turns `video.published/updated/deleted` into the two faces of a video
 * (INTEROP.md §2): everyone gets the channel's Note (Create/Update/Delete by
 * the Group, shared inboxes coalesced); followers on PeerTube instances also
 * get the Video (Announce by the Group, Update with the full object, Delete
 * by the owner Person).
 */
export function createVideoPublishing(deps: VideoPublishingDeps): VideoPublishing {
  const { federation, contextData, database } = deps;
  const db = contextData.db;
  const origin = new URL(contextData.config.publicUrl.origin);
  const software = new InstanceSoftwareResolver({ db, safeFetch: deps.safeFetch });
  const raw = new RawDelivery({
    db,
    queue: new GuardedOutboxQueue(new PostgresMessageQueue(database, { queue: RAW_OUTBOX_QUEUE }), {
      moderation: contextData.moderation,
      destinations: {
        allowPrivateAddress: contextData.config.allowPrivateAddress,
        resolve: systemResolveHost,
        exempt: exemptList(),
      },
    }),
    safeFetch: deps.safeFetch,
    keys: deps.fed.keys,
    retryPolicy: deps.fed.outboxRetryPolicy,
  });
  const context = (): Context<HavenContext> => federation.createContext(origin, contextData);

  const published: OutboundHandler = async (event) => {
    if (event.type !== "video.published") return;
    const ctx = context();
    const loaded = await loadVideo(ctx, event.videoId);
    if (loaded.status !== "published") {
      logger.info("Video {videoId} is not published any more; nothing to send", event);
      return;
    }
    const { face, channel } = loaded;
    const sender = { identifier: channel.handle };
    await ctx.sendActivity(sender, "followers", createNoteActivity(face), {
      preferSharedInbox: true,
    });
    const peertube = await peertubeFollowers(db, software, channel.id);
    if (peertube.length > 0) {
      await ctx.sendActivity(sender, peertube.map(toRecipient), announceVideoActivity(face), {
        preferSharedInbox: true,
      });
    }
  };

  const updated: OutboundHandler = async (event, eventId) => {
    if (event.type !== "video.updated") return;
    const ctx = context();
    const loaded = await loadVideo(ctx, event.videoId);
    if (loaded.status !== "published") return;
    const { face, channel, owner } = loaded;
    await ctx.sendActivity(
      { identifier: channel.handle },
      "followers",
      updateNoteActivity(face, eventId),
      { preferSharedInbox: true },
    );
    const peertube = await peertubeFollowers(db, software, channel.id);
    if (peertube.length === 0) return;
    const activity = updateVideoActivityJson(face, eventId);
    const body = JSON.stringify(activity);
    const started = new Date().toISOString();
    const messages: RawDeliveryMessage[] = [...coalesceInboxes(peertube)].map(
      ([inbox, actorIds]) => ({
        type: "outbox",
        kind: "raw",
        activityId: String(activity.id),
        activityType: "Update",
        inbox,
        actorIds,
        sender: owner.handle,
        keyId: `${ctx.getActorUri(owner.handle).href}#main-key`,
        body,
        started,
        attempt: 0,
      }),
    );
    await raw.enqueue(messages);
  };

  const deleted: OutboundHandler = async (event, eventId) => {
    if (event.type !== "video.deleted") return;
    const ctx = context();
    const [channel, owner] = await Promise.all([
      findActorById(db, event.channelId),
      findActorById(db, event.ownerActorId),
    ]);
    if (!channel) return; // the channel went with its followers
    const urls: DeletedVideoUrls = {
      note: noteUri(ctx, event.videoId),
      video: videoUri(ctx, event.videoId),
      channel: ctx.getActorUri(channel.handle),
      channelFollowers: ctx.getFollowersUri(channel.handle),
      owner: ctx.getActorUri(owner?.handle ?? channel.handle),
    };
    await ctx.sendActivity(
      { identifier: channel.handle },
      "followers",
      deleteNoteActivity(urls, eventId),
      { preferSharedInbox: true },
    );
    if (!owner) return;
    const peertube = await peertubeFollowers(db, software, channel.id);
    if (peertube.length > 0) {
      await ctx.sendActivity(
        { identifier: owner.handle },
        peertube.map(toRecipient),
        deleteVideoActivity(urls, eventId),
        { preferSharedInbox: true },
      );
    }
  };

  return {
    handlers: { "video.published": published, "video.updated": updated, "video.deleted": deleted },
    listen: (signal) => raw.listen(signal),
    software,
    raw,
  };
}
