import type { Context, Federation } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { findActorById, type LocalActor } from "../../src/actors/actor.service.ts";
import type { OutboundEvent } from "../../src/events/outbound.ts";
import type { FollowerRecipient } from "../../src/follows/follower-recipients.ts";
import type { SafeFetch } from "../../src/net/safe-fetch.ts";
import type { VideoMetadata } from "../../src/videos/video-metadata.ts";
import type { HavenContext } from "../context.ts";
import type { Deliveries } from "../outbound/deliveries.ts";
import type { OutboundHandler } from "../outbound/publisher.ts";
import { TO_FOLLOWERS } from "../outbound/send-options.ts";
import { InstanceSoftwareResolver } from "./instance-software.ts";
import { createNoteJson, deleteNoteJson, updateNoteJson } from "./note-documents.ts";
import {
  announceVideoActivity,
  type DeletedVideoUrls,
  deleteVideoActivity,
  updateVideoActivityJson,
} from "./video-activities.ts";
import { loadVideo, noteUri, videoUri } from "./video-face.ts";
import {
  coalesceInboxes,
  deliverableFollowers,
  peertubeFollowers,
  toRecipient,
} from "./video-recipients.ts";

const logger = getLogger(["haven", "federation", "videos"]);

/** What the Note face shows of a video's metadata (video-note.ts). */
const NOTE_FIELDS: ReadonlySet<keyof VideoMetadata> = new Set([
  "title",
  "description",
  "tags",
  "language",
  "contentWarning",
]);

/** What video federation needs from the composition root; `Deps` (src/app.ts) fits. */
export interface VideoPublishingDeps {
  readonly federation: Federation<HavenContext>;
  readonly contextData: HavenContext;
  readonly safeFetch: SafeFetch;
  /** Haven's delivery path; the raw `Update{Video}` goes straight to it. */
  readonly deliveries: Deliveries;
}

export interface VideoPublishing {
  /** Plug into `createOutboundPublisher(…, extra)`. */
  readonly handlers: Partial<Record<OutboundEvent["type"], OutboundHandler>>;
  readonly software: InstanceSoftwareResolver;
}

/**
 * Turns `video.published/updated/deleted` into the two faces of a video
 * (INTEROP.md §2): everyone gets the channel's Note (Create/Update/Delete by
 * the Group, shared inboxes coalesced); followers on PeerTube instances also
 * get the Video (Announce by the Group, Update with the full object, Delete
 * by the owner Person).
 */
export function createVideoPublishing(deps: VideoPublishingDeps): VideoPublishing {
  const { federation, contextData, deliveries } = deps;
  const db = contextData.db;
  const origin = new URL(contextData.config.publicUrl.origin);
  const software = new InstanceSoftwareResolver({ db, safeFetch: deps.safeFetch });
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
    const peertube = await peertubeFollowers(db, software, channel.id);
    await sendNote(ctx, channel, await createNoteJson(face), peertube);
    if (peertube.length > 0) {
      await ctx.sendActivity(
        { identifier: channel.handle },
        peertube.map(toRecipient),
        announceVideoActivity(face),
        TO_FOLLOWERS,
      );
    }
  };

  const updated: OutboundHandler = async (event, eventId) => {
    if (event.type !== "video.updated") return;
    const ctx = context();
    const loaded = await loadVideo(ctx, event.videoId);
    if (loaded.status !== "published") return;
    const { face, channel, owner } = loaded;
    const changed = event.changed ?? null;
    // Each face is updated only when something it shows changed: Mastodon marks
    // a post "edited" on every Update{Note}, and the Note does not carry the
    // comment policy (PeerTube's Video does, as `commentsPolicy`).
    if (changed !== null && changed.length === 0) return;
    const peertube = await peertubeFollowers(db, software, channel.id);
    if (changed === null || changed.some((field) => NOTE_FIELDS.has(field))) {
      await sendNote(ctx, channel, await updateNoteJson(face, eventId), peertube);
    }
    if (peertube.length === 0) return;
    const activity = updateVideoActivityJson(face, eventId);
    await deliveries.enqueue(
      {
        activityId: String(activity.id),
        activityType: "https://www.w3.org/ns/activitystreams#Update",
        sender: owner.handle,
        keyId: `${ctx.getActorUri(owner.handle).href}#main-key`,
        body: JSON.stringify(activity),
      },
      [...coalesceInboxes(peertube)].map(([inbox, actorIds]) => ({ inbox, actorIds })),
    );
  };

  /**
   * The Note's Create, Update or Delete to every follower the policy allows,
   * shared inboxes coalesced, posted as built (note-documents.ts): Fedify
   * would re-serialise it and lose the attachment's `blurhash`. Not to
   * PeerTube followers: PeerTube drops a Note that answers nothing of its
   * own (its log: "Receiving inbox requests for 0 activities"); they get the
   * Video face instead.
   */
  const sendNote = async (
    ctx: Context<HavenContext>,
    channel: LocalActor,
    activity: Record<string, unknown>,
    peertube: readonly FollowerRecipient[],
  ): Promise<void> => {
    const skip = new Set(peertube.map((f) => f.iri));
    const allowed = (await deliverableFollowers(db, contextData.moderation, channel.id)).filter(
      (f) => !skip.has(f.iri),
    );
    if (allowed.length === 0) return;
    await deliveries.enqueue(
      {
        activityId: String(activity.id),
        activityType: `https://www.w3.org/ns/activitystreams#${String(activity.type)}`,
        sender: channel.handle,
        keyId: `${ctx.getActorUri(channel.handle).href}#main-key`,
        body: JSON.stringify(activity),
      },
      [...coalesceInboxes(allowed)].map(([inbox, actorIds]) => ({ inbox, actorIds })),
    );
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
    const peertube = await peertubeFollowers(db, software, channel.id);
    await sendNote(ctx, channel, await deleteNoteJson(urls, eventId), peertube);
    if (!owner) return;
    if (peertube.length > 0) {
      await ctx.sendActivity(
        { identifier: owner.handle },
        peertube.map(toRecipient),
        deleteVideoActivity(urls, eventId),
        TO_FOLLOWERS,
      );
    }
  };

  return {
    handlers: { "video.published": published, "video.updated": updated, "video.deleted": deleted },
    software,
  };
}
