/** The JSON documents a fake instance serves, shaped like the real software's. */
import type { FakeActor, JsonObject, RemoteKind } from "./types.ts";

const AS = "https://www.w3.org/ns/activitystreams";
const SECURITY = "https://w3id.org/security/v1";

// Mastodon's actor context (fixtures/mastodon/activitypub-actor.txt).
const MASTODON_CONTEXT = [
  AS,
  SECURITY,
  {
    manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
    sensitive: "as:sensitive",
    Hashtag: "as:Hashtag",
    toot: "http://joinmastodon.org/ns#",
    discoverable: "toot:discoverable",
    indexable: "toot:indexable",
  },
];

const PEERTUBE_CONTEXT = [
  AS,
  SECURITY,
  {
    pt: "https://joinpeertube.org/ns#",
    sc: "http://schema.org/",
    uuid: "sc:identifier",
    playlists: { "@id": "pt:playlists", "@type": "@id" },
  },
];

export function actorContext(kind: RemoteKind): unknown[] {
  return kind === "peertube" ? PEERTUBE_CONTEXT : MASTODON_CONTEXT;
}

export function actorDocument(kind: RemoteKind, actor: FakeActor): JsonObject {
  return {
    "@context": actorContext(kind),
    id: actor.id,
    type: actor.type,
    following: actor.following,
    followers: actor.followers,
    inbox: actor.inbox,
    outbox: actor.outbox,
    preferredUsername: actor.username,
    name: actor.name,
    summary: "",
    // PeerTube keeps only the Link form of `url`; Mastodon a plain string.
    url:
      kind === "peertube" ? [{ type: "Link", mediaType: "text/html", href: actor.url }] : actor.url,
    manuallyApprovesFollowers: actor.manuallyApprovesFollowers,
    // PeerTube accounts and channels list their playlists (models/actor/actor.ts).
    ...(kind === "peertube" ? { playlists: `${actor.id}/playlists` } : {}),
    publicKey: { id: actor.keyId, owner: actor.id, publicKeyPem: actor.keys.publicKeyPem },
    ...(actor.sharedInbox ? { endpoints: { sharedInbox: actor.sharedInbox } } : {}),
  };
}

/**
 * What GoToSocial serves at a key's own path (docs/federation/federating_with_gotosocial.md,
 * "Quirks"): a stub of the owner actor — its `id` is the actor's, not the key URL's — listing the
 * key. Receivers must dereference the owner in full to trust the key.
 */
export function keyDocument(actor: FakeActor): JsonObject {
  return {
    "@context": [SECURITY, AS],
    id: actor.id,
    type: actor.type,
    preferredUsername: actor.username,
    publicKey: { id: actor.keyId, owner: actor.id, publicKeyPem: actor.keys.publicKeyPem },
  };
}

/**
 * Where each software's remote-interaction page is, as its WebFinger publishes it
 * (`http://ostatus.org/schema/1.0/subscribe`): Mastodon's `authorize_interaction`
 * (its WebfingerSerializer), PeerTube's `remote-interaction`. GoToSocial publishes none.
 */
const SUBSCRIBE_PATHS: Record<RemoteKind, string | null> = {
  mastodon: "/authorize_interaction?uri={uri}",
  peertube: "/remote-interaction?uri={uri}",
  gotosocial: null,
};

/** Shape of fixtures/mastodon/activitypub-webfinger.txt. */
export function webFingerDocument(actor: FakeActor, kind: RemoteKind): JsonObject {
  const subscribe = SUBSCRIBE_PATHS[kind];
  return {
    subject: `acct:${actor.acct}`,
    aliases: [actor.url, actor.id],
    links: [
      { rel: "http://webfinger.net/rel/profile-page", type: "text/html", href: actor.url },
      { rel: "self", type: "application/activity+json", href: actor.id },
      ...(subscribe === null
        ? []
        : [
            {
              rel: "http://ostatus.org/schema/1.0/subscribe",
              template: `${new URL(actor.id).origin}${subscribe}`,
            },
          ]),
    ],
  };
}

export function nodeInfoPath(kind: RemoteKind): string {
  return kind === "peertube" ? "/nodeinfo/2.0.json" : "/nodeinfo/2.0";
}

export function nodeInfoLinks(kind: RemoteKind, origin: string): JsonObject {
  return {
    links: [
      {
        rel: "http://nodeinfo.diaspora.software/ns/schema/2.0",
        href: `${origin}${nodeInfoPath(kind)}`,
      },
    ],
  };
}

const VERSIONS: Record<RemoteKind, string> = {
  mastodon: "4.3.0",
  peertube: "7.0.0",
  gotosocial: "0.17.0",
};

export function nodeInfoDocument(kind: RemoteKind, users: number): JsonObject {
  return {
    version: "2.0",
    software: { name: kind, version: VERSIONS[kind] },
    protocols: ["activitypub"],
    services: { outbound: [], inbound: [] },
    usage: { users: { total: users, activeMonth: users, activeHalfyear: users }, localPosts: 0 },
    openRegistrations: false,
    metadata: {},
  };
}

export function emptyCollection(id: string): JsonObject {
  return { "@context": AS, id, type: "OrderedCollection", totalItems: 0, orderedItems: [] };
}
