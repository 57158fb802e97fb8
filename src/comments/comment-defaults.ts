import type { Db } from "../db/client.ts";
import { getDefaultCommentsPolicy } from "../instance/instance-settings.ts";
import type { CommentsPolicy } from "./comment-policy.ts";

/**
 * The comment policy of an upload that chooses none: its channel's default,
 * else the instance's (`default_comments_policy` in the instance settings,
 * `approval` until an admin changes it). Haven's audience is easily hurt by
 * a stranger's reply, so by default a human reads every reply from outside
 * the channel's trusted list before the community does.
 */
export async function defaultCommentsPolicyOf(
  db: Db,
  channel: { defaultCommentsPolicy: CommentsPolicy | null },
): Promise<CommentsPolicy> {
  return channel.defaultCommentsPolicy ?? (await getDefaultCommentsPolicy(db));
}
