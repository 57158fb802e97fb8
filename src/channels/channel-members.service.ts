import { and, asc, eq } from "drizzle-orm";
import { findAccountByUsername } from "../accounts/account.service.ts";
import { findActorById } from "../actors/actor.service.ts";
import type { Db } from "../db/client.ts";
import { accounts, channelMembers } from "../db/schema/index.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Channel } from "./channel.service.ts";

export interface ChannelMemberView {
  accountId: string;
  username: string;
  role: "owner" | "member";
  /** When they became a member (for the owner: when the channel was made). */
  since: Date;
}

/** The owner first, then members in the order they joined. */
export async function listChannelMembers(db: Db, channel: Channel): Promise<ChannelMemberView[]> {
  const owner = channel.ownerActorId ? await findActorById(db, channel.ownerActorId) : null;
  const ownerAccount = owner?.accountId
    ? await db
        .select({ id: accounts.id, username: accounts.username })
        .from(accounts)
        .where(eq(accounts.id, owner.accountId))
    : [];
  const members = await db
    .select({
      accountId: channelMembers.accountId,
      username: accounts.username,
      since: channelMembers.createdAt,
    })
    .from(channelMembers)
    .innerJoin(accounts, eq(accounts.id, channelMembers.accountId))
    .where(eq(channelMembers.channelId, channel.id))
    .orderBy(asc(channelMembers.createdAt), asc(accounts.username));
  return [
    ...ownerAccount.map((a) => ({
      accountId: a.id,
      username: a.username,
      role: "owner" as const,
      since: channel.createdAt,
    })),
    ...members.map((m) => ({ ...m, role: "member" as const })),
  ];
}

/** Adds a member by username: 422 unknown name, 409 already the owner or a member. */
export async function addChannelMember(
  db: Db,
  channel: Channel,
  username: string,
): Promise<Result<ChannelMemberView>> {
  const account = await findAccountByUsername(db, username);
  if (!account) return err("unprocessable", `no user named "${username.trim().toLowerCase()}"`);
  if (await ownsChannel(db, channel, account.id)) {
    return err("conflict", `${account.username} owns this channel`);
  }
  const [row] = await db
    .insert(channelMembers)
    .values({ channelId: channel.id, accountId: account.id })
    .onConflictDoNothing()
    .returning();
  if (!row) return err("conflict", `${account.username} is already a member of this channel`);
  return ok({
    accountId: account.id,
    username: account.username,
    role: "member",
    since: row.createdAt,
  });
}

/** Removes a member; the owner cannot be removed this way. */
export async function removeChannelMember(
  db: Db,
  channel: Channel,
  username: string,
): Promise<Result<void>> {
  const account = await findAccountByUsername(db, username);
  const removed = account
    ? await db
        .delete(channelMembers)
        .where(
          and(eq(channelMembers.channelId, channel.id), eq(channelMembers.accountId, account.id)),
        )
        .returning({ accountId: channelMembers.accountId })
    : [];
  return removed.length > 0 ? ok(undefined) : err("not_found", "no such member of this channel");
}

/** Whether the account's Person actor owns the channel (one indexed lookup). */
export async function ownsChannel(db: Db, channel: Channel, accountId: string): Promise<boolean> {
  if (!channel.ownerActorId) return false;
  const owner = await findActorById(db, channel.ownerActorId);
  return owner?.accountId === accountId;
}
