import { type Actor, getActorTypeName } from "@fedify/vocab";
import type { RemoteActorInput } from "../../src/remote/remote-actor.service.ts";

/**
 * Maps a fetched remote actor to what we store. Inboxes must be http(s) on
 * the actor's own host: an actor cannot point our deliveries at someone
 * else's server.
 */
export async function toRemoteActorInput(actor: Actor): Promise<RemoteActorInput | null> {
  if (actor.id == null || actor.inboxId == null) return null;
  const host = actor.id.hostname;
  const sameHost = (u: URL | null | undefined): u is URL =>
    u != null && (u.protocol === "https:" || u.protocol === "http:") && u.hostname === host;
  if (!sameHost(actor.inboxId)) return null;
  const shared = actor.endpoints?.sharedInbox;
  // Built from the actor document alone: Fedify's getActorHandle() would make a
  // WebFinger request outside our checked fetcher, with no deadline.
  const username = actor.preferredUsername?.toString() ?? "";
  const handle = /^[^\s@]{1,100}$/.test(username) ? `${username}@${actor.id.host}` : actor.id.href;
  // The document as fetched (Fedify keeps the JSON it parsed): compacting it
  // again through JSON-LD only to store it cost several ms of CPU per actor.
  const raw = (await actor.toJsonLd()) as Record<string, unknown>;
  const url = actor.url;
  return {
    iri: actor.id.href,
    type: getActorTypeName(actor),
    handle,
    inboxUrl: actor.inboxId.href,
    sharedInboxUrl: sameHost(shared) ? shared.href : null,
    displayName: actor.name?.toString() ?? "",
    url: url instanceof URL ? url.href : (url?.href?.href ?? null),
    raw,
  };
}
