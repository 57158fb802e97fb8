/**
 * Videos and followers for federation tests, made the way the core makes
 * them: a `support_videos` row and its outbound event in one transaction;
 * followers through the real Follow → Accept flow.
 */

import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { findPersonOfAccount } from "../../src/actors/actor.service.ts";
import { type Channel, createChannel } from "../../src/channels/channel.service.ts";
import { supportVideos } from "../../src/db/schema/index.ts";
import type { SupportVideo } from "../../src/videos/video-queries.ts";
import { type FakeActor, type FakeRemote, follow, type JsonObject } from "./fake-remote/index.ts";
import type { TestHaven } from "./haven.ts";
import { peertubeActorProblems } from "./peertube-activity-check.ts";

export interface TestChannel {
  channel: Channel;
  ownerHandle: string;
  /** Actor ids on the Haven. */
  groupId: string;
  ownerId: string;
  inbox: string;
}

export async function createTestChannel(
  haven: TestHaven,
  ownerName: string,
  channelName: string,
): Promise<TestChannel> {
  const { accountId } = await haven.createUser(ownerName);
  const db = haven.deps.database.db;
  const created = await createChannel(db, { name: channelName, ownerAccountId: accountId });
  if (!created.ok) throw new Error(created.error.message);
  const owner = await findPersonOfAccount(db, accountId);
  return {
    channel: created.value,
    ownerHandle: owner!.handle,
    groupId: `${haven.origin}/users/${channelName}`,
    ownerId: `${haven.origin}/users/${owner!.handle}`,
    inbox: `${haven.origin}/users/${channelName}/inbox`,
  };
}

/** `actor` follows the channel for real and the test waits for the Accept. */
export async function followChannel(
  remote: FakeRemote,
  actor: FakeActor,
  channel: TestChannel,
): Promise<void> {
  if (remote.kind === "peertube") {
    // PeerTube subscribes only to a channel it can read: the Group, then its owner.
    const group = JSON.parse((await remote.get(channel.groupId)).body) as JsonObject;
    expect(peertubeActorProblems(group)).toEqual([]);
    const owner = (group.attributedTo as JsonObject[] | undefined)?.[0]?.id;
    expect(peertubeActorProblems(JSON.parse((await remote.get(String(owner))).body))).toEqual([]);
  }
  const activity = follow(actor, channel.groupId);
  const res = await remote.send(actor, channel.inbox, activity);
  expect(res.status).toBeLessThan(300);
  await remote.waitForDelivery(
    (d) =>
      d.body?.type === "Accept" &&
      (d.body.object as JsonObject | undefined)?.id === activity.id &&
      d.actorUsername === actor.username,
    { timeoutMs: 15_000 },
  );
}

export type VideoFields = Partial<typeof supportVideos.$inferInsert>;

/** A processed, published video and its `video.published` event, committed together. */
export async function publishVideo(
  haven: TestHaven,
  channel: TestChannel,
  fields: VideoFields = {},
  options: { event?: boolean } = {},
): Promise<SupportVideo> {
  const id = fields.id ?? randomUUID();
  return haven.deps.database.db.transaction(async (tx) => {
    const [video] = await tx
      .insert(supportVideos)
      .values({
        id,
        channelId: channel.channel.id,
        title: "Riding the wave of an urge",
        description: "A **short** clip about *urges* and what helps.",
        tags: ["bpd", "dbt"],
        language: "en",
        contentWarning: "mentions self-harm",
        commentsPolicy: "open",
        state: "published",
        durationSeconds: 65,
        width: 1280,
        height: 720,
        fps: 29.97,
        sizeBytes: 2_345_678,
        mediaKey: `videos/${id}/video.mp4`,
        posterKey: `videos/${id}/poster.jpg`,
        // Mastodon's example BlurHash (4×3 components).
        blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        publishedAt: new Date(),
        ...fields,
      })
      .returning();
    if (options.event !== false) {
      await haven.deps.events.record(tx, { type: "video.published", videoId: id });
    }
    return video!;
  });
}

/** An edit and its `video.updated` event. */
export async function updateVideo(
  haven: TestHaven,
  videoId: string,
  patch: VideoFields,
): Promise<void> {
  await haven.deps.database.db.transaction(async (tx) => {
    await tx
      .update(supportVideos)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(supportVideos.id, videoId));
    await haven.deps.events.record(tx, { type: "video.updated", videoId });
  });
}

/** A takedown as the core does it: the row stays as a tombstone, `video.deleted` is recorded. */
export async function deleteVideo(
  haven: TestHaven,
  channel: TestChannel,
  videoId: string,
): Promise<void> {
  await haven.deps.database.db.transaction(async (tx) => {
    await tx
      .update(supportVideos)
      .set({ state: "deleted", deletedAt: new Date(), updatedAt: new Date() })
      .where(eq(supportVideos.id, videoId));
    await haven.deps.events.record(tx, {
      type: "video.deleted",
      videoId,
      channelId: channel.channel.id,
      ownerActorId: channel.channel.ownerActorId!,
    });
  });
}

/** `x` as an array (Fedify compacts one-element arrays to the element). */
export function asArray<T = JsonObject>(x: unknown): T[] {
  return (Array.isArray(x) ? x : x === undefined || x === null ? [] : [x]) as T[];
}
