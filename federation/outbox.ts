import type { Federation } from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import { findActorByHandle, findActorById } from "../src/actors/actor.service.ts";
import {
  countPublishedVideosOfChannel,
  listPublishedVideosOfChannel,
  type VideoPageCursor,
} from "../src/videos/video-queries.ts";
import type { HavenContext } from "./context.ts";
import { firstCursorOfKnownActor } from "./first-cursor.ts";
import { announceVideoActivity, createNoteActivity } from "./videos/video-activities.ts";
import { buildFace, isPublishedWithMedia } from "./videos/video-face.ts";

/** Videos per page; each gives two activities. */
const VIDEOS_PER_PAGE = 10;

/**
 * A channel's outbox: its published videos, newest first, each as the
 * `Create{Note}` and the `Announce{Video}` that were delivered (same ids).
 * PeerTube crawls it after its follow is accepted and imports the Announces
 * (INTEROP.md §3.2). Members publish nothing themselves: empty, countable.
 */
export function registerOutbox(federation: Federation<HavenContext>): void {
  federation
    .setOutboxDispatcher("/users/{identifier}/outbox", async (ctx, identifier, cursor) => {
      const actor = await findActorByHandle(ctx.data.db, identifier);
      if (!actor) return null;
      if (actor.kind !== "group" || cursor === null) return { items: [], nextCursor: null };
      const after = cursor === "" ? null : parseCursor(cursor);
      if (after === undefined) return { items: [], nextCursor: null };
      const owner = actor.ownerActorId
        ? await findActorById(ctx.data.db, actor.ownerActorId)
        : null;
      if (!owner) return { items: [], nextCursor: null };
      const rows = await listPublishedVideosOfChannel(ctx.data.db, actor.id, {
        limit: VIDEOS_PER_PAGE,
        after,
      });
      const items: Activity[] = [];
      for (const row of rows) {
        if (!isPublishedWithMedia(row)) continue;
        const face = buildFace(ctx, row, actor, owner);
        items.push(createNoteActivity(face), announceVideoActivity(face));
      }
      const last = rows.at(-1);
      return {
        items,
        nextCursor:
          rows.length === VIDEOS_PER_PAGE && last?.publishedAt
            ? formatCursor({ publishedAt: last.publishedAt, id: last.id })
            : null,
      };
    })
    .setCounter(async (ctx, identifier) => {
      const actor = await findActorByHandle(ctx.data.db, identifier);
      if (!actor) return null;
      if (actor.kind !== "group") return 0;
      return 2 * (await countPublishedVideosOfChannel(ctx.data.db, actor.id));
    })
    .setFirstCursor(firstCursorOfKnownActor);
}

function formatCursor(cursor: VideoPageCursor): string {
  return `${cursor.publishedAt.toISOString()}_${cursor.id}`;
}

/** undefined when malformed. */
function parseCursor(raw: string): VideoPageCursor | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9a-f-]{36})$/.exec(raw);
  if (!match?.[1] || !match[2]) return undefined;
  const publishedAt = new Date(match[1]);
  return Number.isNaN(publishedAt.getTime()) ? undefined : { publishedAt, id: match[2] };
}
