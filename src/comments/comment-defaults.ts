import type { CommentsPolicy } from "./comment-policy.ts";

/**
 * The comment policy of an upload that chooses none on a channel that set no
 * default: approval. Haven's audience is easily hurt by a stranger's reply,
 * so a human reads every reply from outside the channel's trusted list
 * before the community does. (The instance settings may later carry this;
 * until then it is this constant.)
 */
export const INSTANCE_DEFAULT_COMMENTS_POLICY: CommentsPolicy = "approval";

/** The policy a new upload gets when it does not choose one. */
export function defaultCommentsPolicyOf(channel: {
  defaultCommentsPolicy: CommentsPolicy | null;
}): CommentsPolicy {
  return channel.defaultCommentsPolicy ?? INSTANCE_DEFAULT_COMMENTS_POLICY;
}
