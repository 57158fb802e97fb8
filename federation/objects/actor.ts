import type { ActorKeyRow, LocalActor } from "../../src/actors/actor.service.ts";
import { profileFieldValueHtml } from "../../src/text/profile-field.ts";
import { renderMarkdown } from "../../src/videos/markdown.ts";
import { ed25519JwkToMultibase, rsaJwkToSpkiPem } from "./keys.ts";

export const ACTOR_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  "https://w3id.org/security/v1",
  "https://w3id.org/security/data-integrity/v1",
  "https://www.w3.org/ns/did/v1",
  "https://w3id.org/security/multikey/v1",
  {
    manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
    toot: "http://joinmastodon.org/ns#",
    discoverable: "toot:discoverable",
    indexable: "toot:indexable",
    schema: "http://schema.org#",
    PropertyValue: "schema:PropertyValue",
    value: "schema:value",
  },
];

export interface ActorUrls {
  id: URL;
  inbox: URL;
  sharedInbox: URL;
  outbox: URL;
  followers: URL;
  following: URL;
  profilePage: URL;
  /** Owner Person of a channel. */
  owner?: URL;
}

const TYPE_BY_KIND = { person: "Person", group: "Group", application: "Application" } as const;

/**
 * A bio → HTML (what Mastodon shows): the descriptions' Markdown subset, so
 * `**bold**`, lists and links show as such instead of as typed.
 */
export function textToHtml(text: string): string {
  return renderMarkdown(text);
}

/**
 * The actor document, shaped for Mastodon and PeerTube (INTEROP.md §4.2):
 * one SPKI `publicKey` object, `attributedTo` as an array on a Group (PeerTube
 * gives a Group without one no owner account and refuses it), and `url` as a
 * plain string: PeerTube 6.x reads only a string (or a single Link object);
 * an array of Links fails its `isActivityPubUrlValid` and the actor can be
 * neither found nor followed. PeerTube and Mastodon serve a string themselves.
 */
export function buildActorJson(
  actor: LocalActor,
  keys: ActorKeyRow[],
  urls: ActorUrls,
  /** Appended to the actor's own fields (a channel's crisis resources). */
  extraFields: readonly { name: string; value: string }[] = [],
): Record<string, unknown> {
  const rsa = keys.find((k) => k.algorithm === "RSASSA-PKCS1-v1_5");
  const ed = keys.find((k) => k.algorithm === "Ed25519");
  const id = urls.id.href;
  const json: Record<string, unknown> = {
    "@context": ACTOR_CONTEXT,
    id,
    type: TYPE_BY_KIND[actor.kind],
    preferredUsername: actor.handle,
    name: actor.displayName || actor.handle,
    summary: textToHtml(actor.summary),
    url: urls.profilePage.href,
    inbox: urls.inbox.href,
    outbox: urls.outbox.href,
    followers: urls.followers.href,
    following: urls.following.href,
    endpoints: { sharedInbox: urls.sharedInbox.href },
    manuallyApprovesFollowers: actor.manuallyApprovesFollowers,
    discoverable: actor.discoverable,
    indexable: actor.indexable,
    published: actor.createdAt.toISOString(),
  };
  if (rsa) {
    json.publicKey = {
      id: `${id}#main-key`,
      type: "CryptographicKey",
      owner: id,
      publicKeyPem: rsaJwkToSpkiPem(rsa.publicJwk),
    };
  }
  if (ed) {
    json.assertionMethod = [
      {
        id: `${id}#key-2`,
        type: "Multikey",
        controller: id,
        publicKeyMultibase: ed25519JwkToMultibase(ed.publicJwk),
      },
    ];
  }
  if (actor.kind === "group" && urls.owner) {
    json.attributedTo = [{ type: "Person", id: urls.owner.href }];
  }
  if (actor.avatarUrl)
    json.icon = { type: "Image", url: actor.avatarUrl, mediaType: guessImageType(actor.avatarUrl) };
  if (actor.headerUrl)
    json.image = {
      type: "Image",
      url: actor.headerUrl,
      mediaType: guessImageType(actor.headerUrl),
    };
  const fields = [...actor.fields, ...extraFields];
  if (fields.length > 0) {
    json.attachment = fields.map((f) => ({
      type: "PropertyValue",
      name: f.name,
      value: profileFieldValueHtml(f.value),
    }));
  }
  return json;
}

function guessImageType(url: string): string {
  if (/\.png$/i.test(url)) return "image/png";
  if (/\.webp$/i.test(url)) return "image/webp";
  return "image/jpeg";
}
