import { and, desc, eq, lt, sql } from "drizzle-orm";
import {
  findActorByHandle,
  findPersonOfAccount,
  insertLocalActor,
  type LocalActor,
} from "../actors/actor.service.ts";
import { validateHandle } from "../actors/handle.ts";
import { type Db, queryRows } from "../db/client.ts";
import { follows, localActors, remoteActors } from "../db/schema/index.ts";
import type { OutboundEvents } from "../events/outbound.ts";
import { err, ok, type Result } from "../lib/result.ts";

export type Channel = LocalActor & { kind: "group" };

export interface ChannelInput {
  name: string;
  ownerAccountId: string;
  displayName?: string;
  summary?: string;
  manuallyApprovesFollowers?: boolean;
}

const MAX_DISPLAY_NAME = 100;
const MAX_SUMMARY = 2000;

function checkProfile(input: { displayName?: string; summary?: string }): string | null {
  if (input.displayName !== undefined && input.displayName.length > MAX_DISPLAY_NAME) {
    return `display_name must be at most ${MAX_DISPLAY_NAME} characters`;
  }
  if (input.summary !== undefined && input.summary.length > MAX_SUMMARY) {
    return `summary must be at most ${MAX_SUMMARY} characters`;
  }
  return null;
}

export async function createChannel(db: Db, input: ChannelInput): Promise<Result<Channel>> {
  const handle = validateHandle(input.name);
  if (!handle.ok) return err("invalid", `name: ${handle.message}`);
  const problem = checkProfile(input);
  if (problem) return err("invalid", problem);
  const owner = await findPersonOfAccount(db, input.ownerAccountId);
  if (!owner) return err("not_found", "owner account not found");
  const actor = await insertLocalActor(db, {
    handle: handle.handle,
    kind: "group",
    ownerActorId: owner.id,
    displayName: input.displayName?.trim() || handle.handle,
    summary: input.summary ?? "",
    manuallyApprovesFollowers: input.manuallyApprovesFollowers ?? false,
  });
  if (!actor) return err("conflict", `the name "${handle.handle}" is already taken`);
  return ok(actor as Channel);
}

export async function findChannel(db: Db, name: string): Promise<Channel | null> {
  const actor = await findActorByHandle(db, name);
  return actor?.kind === "group" ? (actor as Channel) : null;
}

export async function listChannels(db: Db): Promise<Channel[]> {
  return (await db
    .select()
    .from(localActors)
    .where(eq(localActors.kind, "group"))
    .orderBy(localActors.handle)) as Channel[];
}

/**
 * Whether the account may manage the channel — publish and edit its videos,
 * answer its follow requests, moderate its comments, edit its profile: its
 * owner, one of its members, or an admin. One round trip.
 */
export async function canManageChannel(
  db: Db,
  channel: Channel,
  account: { id: string; isAdmin: boolean },
): Promise<boolean> {
  if (account.isAdmin) return true;
  const rows = await queryRows(
    db,
    sql`SELECT 1 AS ok FROM local_actors
        WHERE id = ${channel.ownerActorId} AND account_id = ${account.id}
        UNION ALL
        SELECT 1 FROM channel_members
        WHERE channel_id = ${channel.id} AND account_id = ${account.id}
        LIMIT 1`,
  );
  return rows.length > 0;
}

/** Who may change the channel's members (or its ownership): its owner, or an admin. */
export async function canAdministerChannel(
  db: Db,
  channel: Channel,
  account: { id: string; isAdmin: boolean },
): Promise<boolean> {
  if (account.isAdmin) return true;
  const person = await findPersonOfAccount(db, account.id);
  return person !== null && person.id === channel.ownerActorId;
}

export interface ChannelPatch {
  displayName?: string;
  summary?: string;
  manuallyApprovesFollowers?: boolean;
  discoverable?: boolean;
  indexable?: boolean;
  fields?: { name: string; value: string }[];
  appendSupportLink?: boolean;
  /** New uploads' comment policy when they choose none; null: the instance default. */
  defaultCommentsPolicy?: "open" | "approval" | "closed" | null;
  /** Set by `updateChannelWithImages` (URLs of re-encoded, stored images). */
  avatarUrl?: string;
  headerUrl?: string;
}

/** Updates the profile and, in the same transaction, queues an Update to followers. */
export async function updateChannel(
  db: Db,
  events: OutboundEvents,
  channel: Channel,
  patch: ChannelPatch,
): Promise<Result<Channel>> {
  const problem = checkProfile(patch);
  if (problem) return err("invalid", problem);
  if (
    patch.fields &&
    (patch.fields.length > 8 ||
      patch.fields.some((f) => f.name.length > 255 || f.value.length > 2048))
  ) {
    return err("invalid", "fields: at most 8 entries, names ≤ 255 and values ≤ 2048 characters");
  }
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(localActors)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(localActors.id, channel.id))
      .returning();
    if (!updated) return err("not_found", "channel not found");
    await events.record(tx, { type: "actor.updated", actorId: updated.id });
    return ok(updated as Channel);
  });
}

export interface FollowerView {
  id: string;
  iri: string;
  handle: string;
  domain: string;
  displayName: string;
  status: "pending" | "accepted";
  followedAt: Date;
}

export async function listFollowersOf(
  db: Db,
  actorId: string,
  options: { status?: "pending" | "accepted"; limit?: number; before?: Date } = {},
): Promise<FollowerView[]> {
  const conditions = [eq(follows.followeeId, actorId)];
  if (options.status) conditions.push(eq(follows.status, options.status));
  if (options.before) conditions.push(lt(follows.createdAt, options.before));
  const rows = await db
    .select({
      id: follows.id,
      iri: remoteActors.iri,
      handle: remoteActors.handle,
      domain: remoteActors.domain,
      displayName: remoteActors.displayName,
      status: follows.status,
      followedAt: follows.createdAt,
    })
    .from(follows)
    .innerJoin(remoteActors, eq(remoteActors.id, follows.followerId))
    .where(and(...conditions))
    .orderBy(desc(follows.createdAt))
    .limit(Math.min(options.limit ?? 40, 200));
  return rows;
}

/** Accepted followers: the same count the ActivityPub collection shows. */
export { countAcceptedFollowers as countFollowers } from "../follows/follower-recipients.ts";
