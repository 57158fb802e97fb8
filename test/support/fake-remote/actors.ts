import { generateKeyPair } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ActorType, AddActorOptions, FakeActor, KeyPair, RemoteKind } from "./types.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);

/** PeerTube's test key pair (fixtures/keys.json, from PeerTube's tests): SPKI public, PKCS#1 private. */
export function peertubeFixtureKeys(): KeyPair {
  const json = JSON.parse(readFileSync(new URL("keys.json", FIXTURES), "utf8")) as {
    publicKey: string;
    privateKey: string;
  };
  return { publicKeyPem: json.publicKey, privateKeyPem: json.privateKey };
}

export function generateRsaKeyPair(): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      "rsa",
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      },
      (error, publicKeyPem, privateKeyPem) =>
        error ? reject(error) : resolve({ publicKeyPem, privateKeyPem }),
    );
  });
}

const USERNAME = /^[A-Za-z0-9_.:-]+$/;

/** The URLs each implementation gives an actor. */
export function actorPaths(kind: RemoteKind, username: string, type: ActorType, instance: boolean) {
  if (kind === "mastodon") {
    const base = instance ? "/actor" : `/users/${username}`;
    return { base, keyId: `${base}#main-key`, sharedInbox: "/inbox", page: `/@${username}` };
  }
  if (kind === "peertube") {
    const base = type === "Group" ? `/video-channels/${username}` : `/accounts/${username}`;
    const page = type === "Group" ? `/c/${username}` : `/a/${username}`;
    return { base, keyId: `${base}#main-key`, sharedInbox: "/inbox", page };
  }
  // GoToSocial: keyId is a path of its own (docs/federation/…/http_signatures.md), and it
  // advertises no shared inbox.
  const base = `/users/${username}`;
  return { base, keyId: `${base}/main-key`, sharedInbox: undefined, page: `/@${username}` };
}

export async function createActor(input: {
  kind: RemoteKind;
  origin: string;
  domain: string;
  username: string;
  options: AddActorOptions;
  instance?: boolean;
}): Promise<FakeActor> {
  const { kind, origin, username, options } = input;
  if (!USERNAME.test(username)) throw new Error(`fake remote: bad username "${username}"`);
  const type = options.type ?? (input.instance ? "Application" : "Person");
  const paths = actorPaths(kind, username, type, input.instance ?? false);
  const id = `${origin}${paths.base}`;
  return {
    username,
    type,
    name: options.name ?? username,
    acct: `${username}@${input.domain}`,
    id,
    keyId: `${origin}${paths.keyId}`,
    // PeerTube signs with keyId = the actor URL, no fragment (INTEROP.md §3.6; newer releases
    // append #main-key); both resolve to the actor document.
    signingKeyId: kind === "peertube" ? id : `${origin}${paths.keyId}`,
    inbox: `${id}/inbox`,
    sharedInbox: paths.sharedInbox ? `${origin}${paths.sharedInbox}` : undefined,
    outbox: `${id}/outbox`,
    followers: `${id}/followers`,
    following: `${id}/following`,
    url: `${origin}${paths.page}`,
    manuallyApprovesFollowers: options.manuallyApprovesFollowers ?? false,
    keys: options.keyPair ?? (await generateRsaKeyPair()),
    origin,
  };
}
