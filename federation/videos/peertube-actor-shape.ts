import type { FollowerActorShape } from "../../src/follows/follower-actor-shapes.ts";

/**
 * PeerTube's URL scheme for actors (server/core/lib/activitypub/url.ts and
 * models/actor/actor.ts `toActivityPubObject`): accounts at
 * `/accounts/NAME` (the instance actor is the account `peertube`), channels
 * at `/video-channels/NAME`, each with its inbox at `<id>/inbox` and the
 * shared inbox at `<origin>/inbox`.
 */
const PEERTUBE_ACTOR_PATH = /^\/(accounts|video-channels)\/[^/]+$/;

/**
 * Whether a follower's stored actor document is a PeerTube actor. Two kinds
 * of signal, either enough:
 * - PeerTube's own vocabulary: the `https://joinpeertube.org/ns#` context or
 *   a `playlists` collection (only present when the original document was
 *   kept; a re-serialised one loses both);
 * - PeerTube's URL scheme, all of it: id path, type matching the path, inbox
 *   and shared inbox where PeerTube puts them.
 * Used only when the instance's NodeInfo could not be read
 * (video-recipients.ts); a readable NodeInfo always decides.
 */
export function looksLikePeerTubeActor(actor: FollowerActorShape): boolean {
  if (actor.peertubeContext || actor.hasPlaylists) return true;
  let id: URL;
  try {
    id = new URL(actor.iri);
  } catch {
    return false;
  }
  const kind = PEERTUBE_ACTOR_PATH.exec(id.pathname)?.[1];
  if (kind === undefined) return false;
  const typeFits =
    kind === "video-channels"
      ? actor.type === "Group"
      : ["Person", "Application"].includes(actor.type);
  return (
    typeFits &&
    actor.inboxUrl === `${id.origin}${id.pathname}/inbox` &&
    actor.sharedInboxUrl === `${id.origin}/inbox`
  );
}
