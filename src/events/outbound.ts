import type { Db } from "../db/client.ts";
import type { VideoMetadata } from "../videos/video-metadata.ts";

/**
 * What happened locally that remote servers must hear about. The core records
 * these in the same transaction as the change; the federation edge turns them
 * into activities and deliveries (never inside an HTTP request).
 */
export type OutboundEvent =
  | {
      type: "follow.accepted";
      followId: string;
      followerIri: string;
      followeeId: string;
      activityIri: string;
    }
  | { type: "follow.rejected"; followerIri: string; followeeId: string; activityIri: string }
  | { type: "actor.updated"; actorId: string }
  | { type: "video.published"; videoId: string }
  | {
      type: "video.updated";
      videoId: string;
      /** The metadata that changed; absent in events queued before it existed (= everything). */
      changed?: (keyof VideoMetadata)[];
    }
  | { type: "video.deleted"; videoId: string; channelId: string; ownerActorId: string }
  /** A moderator forwarded a report about remote comments to their servers. */
  | { type: "report.forwarded"; reportId: string }
  | { type: "comment.moderated"; commentId: string; state: "visible" | "rejected" };

export interface OutboundEvents {
  /** Enqueue `event` on `tx`; it is delivered only if `tx` commits. */
  record(tx: Db, event: OutboundEvent): Promise<void>;
}
