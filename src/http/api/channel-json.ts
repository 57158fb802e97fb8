import type { Channel, FollowerView } from "../../channels/channel.service.ts";
import type { ChannelMemberView } from "../../channels/channel-members.service.ts";
import type { CommentsPolicy } from "../../comments/comment-policy.ts";
import type { Config } from "../../config.ts";

export function channelJson(
  config: Config,
  channel: Channel,
  followersCount: number | null,
  /** The policy new uploads get when they choose none (the channel's, else the instance's). */
  defaultCommentsPolicy: CommentsPolicy,
) {
  const origin = config.publicUrl.origin;
  return {
    id: channel.id,
    name: channel.handle,
    handle: `${channel.handle}@${config.publicUrl.host}`,
    display_name: channel.displayName,
    summary: channel.summary,
    url: `${origin}/@${channel.handle}`,
    actor_id: `${origin}/users/${channel.handle}`,
    manually_approves_followers: channel.manuallyApprovesFollowers,
    discoverable: channel.discoverable,
    indexable: channel.indexable,
    fields: channel.fields,
    append_support_link: channel.appendSupportLink,
    default_comments_policy: defaultCommentsPolicy,
    avatar: channel.avatarUrl,
    header: channel.headerUrl,
    followers_count: followersCount,
    created_at: channel.createdAt.toISOString(),
    updated_at: channel.updatedAt.toISOString(),
  };
}

export function followerJson(f: FollowerView) {
  return {
    id: f.id,
    actor_id: f.iri,
    acct: f.handle,
    domain: f.domain,
    display_name: f.displayName,
    status: f.status,
    created_at: f.followedAt.toISOString(),
  };
}

export function memberJson(m: ChannelMemberView) {
  return {
    id: m.accountId,
    username: m.username,
    role: m.role,
    created_at: m.since.toISOString(),
  };
}
