import type { Db } from "../../src/db/client.ts";
import { listFollowerActorShapes } from "../../src/follows/follower-actor-shapes.ts";
import {
  type FollowerRecipient,
  listFollowerRecipients,
} from "../../src/follows/follower-recipients.ts";
import type { HavenContext } from "../context.ts";
import { type InstanceSoftwareResolver, UNKNOWN_SOFTWARE } from "./instance-software.ts";
import { looksLikePeerTubeActor } from "./peertube-actor-shape.ts";

/** What Fedify's `sendActivity` takes as an explicit recipient. */
export interface Recipient {
  id: URL;
  inboxId: URL;
  endpoints: { sharedInbox: URL } | null;
}

export function toRecipient(row: FollowerRecipient): Recipient {
  return {
    id: new URL(row.iri),
    inboxId: new URL(row.inboxUrl),
    endpoints: row.sharedInboxUrl ? { sharedInbox: new URL(row.sharedInboxUrl) } : null,
  };
}

/** Lookups of distinct instances run this many at a time. */
const LOOKUP_CONCURRENCY = 8;

/**
 * The channel's accepted followers on PeerTube. Only they get the Video
 * face: Mastodon would show an Announce as a second copy of the post
 * (INTEROP.md §2).
 *
 * Precedence: the instance's NodeInfo `software.name` decides whenever it
 * could be read (cached per host, instance-software.ts). Only for hosts whose
 * NodeInfo is unreadable ("unknown": down, blocked path, odd link) does the
 * follower's own stored actor document decide, follower by follower
 * (peertube-actor-shape.ts) — otherwise a PeerTube subscriber would silently
 * never get the video while its NodeInfo is out of reach.
 */
export async function peertubeFollowers(
  db: Db,
  resolver: InstanceSoftwareResolver,
  channelId: string,
): Promise<FollowerRecipient[]> {
  const followers = await listFollowerRecipients(db, channelId);
  const byOrigin = new Map<string, FollowerRecipient[]>();
  // Thousands of followers share a few instances: parse each authority once.
  const originOf = new Map<string, string | null>();
  for (const row of followers) {
    const prefix = authorityPrefix(row.iri);
    let origin = originOf.get(prefix);
    if (origin === undefined) {
      origin = safeOrigin(prefix);
      originOf.set(prefix, origin);
    }
    if (origin === null) continue;
    const list = byOrigin.get(origin) ?? [];
    list.push(row);
    byOrigin.set(origin, list);
  }
  const origins = [...byOrigin.keys()];
  // One SELECT for every follower instance; NodeInfo only for the unknown.
  const software = await resolver.softwareOfMany(origins, LOOKUP_CONCURRENCY);
  const chosen = origins
    .filter((o) => software.get(o) === "peertube")
    .flatMap((o) => byOrigin.get(o) ?? []);
  const unknown = origins.filter((o) => (software.get(o) ?? UNKNOWN_SOFTWARE) === UNKNOWN_SOFTWARE);
  if (unknown.length === 0) return chosen;
  const domains = [
    ...new Set(unknown.flatMap((o) => (byOrigin.get(o) ?? []).map((r) => r.domain))),
  ];
  const shapes = await listFollowerActorShapes(db, channelId, domains);
  const peertubeShaped = new Set(shapes.filter(looksLikePeerTubeActor).map((a) => a.iri));
  const fallback = unknown
    .flatMap((o) => byOrigin.get(o) ?? [])
    .filter((row) => peertubeShaped.has(row.iri));
  return [...chosen, ...fallback];
}

/** One entry per inbox, the shared inbox preferred, with the followers behind it. */
export function coalesceInboxes(rows: readonly FollowerRecipient[]): Map<string, string[]> {
  const inboxes = new Map<string, string[]>();
  for (const row of rows) {
    const inbox = row.sharedInboxUrl ?? row.inboxUrl;
    const list = inboxes.get(inbox) ?? [];
    list.push(row.iri);
    inboxes.set(inbox, list);
  }
  return inboxes;
}

/** `scheme://authority` of an IRI (the whole string if it has no path): all its origin depends on. */
function authorityPrefix(iri: string): string {
  const start = iri.indexOf("//");
  const end = start < 0 ? -1 : iri.slice(start + 2).search(/[/?#]/);
  return end < 0 ? iri : iri.slice(0, start + 2 + end);
}

function safeOrigin(iri: string): string | null {
  try {
    return new URL(iri).origin;
  } catch {
    return null;
  }
}

/**
 * A local actor's accepted followers that the moderation policy does not
 * reject: those an activity to "followers" goes to. Normally a block purges
 * the follows at once; this holds meanwhile, so a blocked follower never
 * shares a coalesced shared-inbox delivery either.
 */
export async function deliverableFollowers(
  db: Db,
  moderation: HavenContext["moderation"],
  followeeId: string,
): Promise<FollowerRecipient[]> {
  const all = await listFollowerRecipients(db, followeeId);
  const decisions = await Promise.all(all.map((r) => moderation.decideForActor(r.iri)));
  return all.filter((_, i) => decisions[i]?.action !== "reject");
}
