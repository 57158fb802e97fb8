/**
 * `sendActivity` options for activities to a channel's followers.
 *
 * - `preferSharedInbox`: one POST per instance that has a shared inbox.
 * - `fanout: "skip"`: we already run in a worker (the event queue), so
 *   Fedify's own fan-out stage would only add a queue hop and a stored copy
 *   of the activity and of the sender's private keys. Fedify builds and
 *   signs the activity here and hands one message per inbox to the outbox
 *   queue, which `PayloadOutboxQueue` stores as one payload and small
 *   per-inbox rows (ADR 0009).
 */
export const TO_FOLLOWERS = { preferSharedInbox: true, fanout: "skip" } as const;
