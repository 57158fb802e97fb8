/**
 * Account resolution as Mastodon does it (ResolveAccountService + FetchRemoteAccountService):
 * WebFinger → `self` link → fetch the actor → WebFinger again for
 * `preferredUsername@<host of the actor id>` and require the same `self`.
 * One deviation: Mastodon drops the port from the host; on loopback the port is the instance.
 */
import { parseJsonObject } from "./http-client.ts";
import type { RemoteClient } from "./remote-client.ts";
import type { JsonObject } from "./types.ts";

const ACTOR_TYPES = ["Person", "Group", "Application", "Service", "Organization"];
const SELF_TYPES = [
  "application/activity+json",
  'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
];

export class WebFingerResolutionError extends Error {
  constructor(
    readonly acct: string,
    readonly reason: string,
  ) {
    super(`resolving ${acct}: ${reason}`);
    this.name = "WebFingerResolutionError";
  }
}

/** `acct` is `name`, `name@host[:port]`, `@name@host` or `acct:name@host`. */
export async function resolveWebFinger(
  client: RemoteClient,
  acct: string,
  ourOrigin: string,
): Promise<JsonObject> {
  const origin = new URL(ourOrigin);
  const bare = acct.replace(/^acct:/, "").replace(/^@/, "");
  const handle = bare.includes("@") ? bare : `${bare}@${origin.host}`;
  const fail = (reason: string): never => {
    throw new WebFingerResolutionError(handle, reason);
  };

  const first = await lookUp(client, origin.origin, handle).catch((e: Error) => fail(e.message));
  let self = first.self;
  if (first.subject !== `acct:${handle}`) {
    // Mastodon follows a differing subject once and requires it to agree.
    const again = await lookUp(client, origin.origin, first.subject.replace(/^acct:/, "")).catch(
      (e: Error) => fail(`subject ${first.subject}: ${e.message}`),
    );
    if (again.self !== self) fail(`subject ${first.subject} points at ${again.self}, not ${self}`);
    self = again.self;
  }

  const actor = await client.getDocument(self).catch((e: Error) => fail(e.message));
  if (!ACTOR_TYPES.includes(String(actor.type))) fail(`${self} is a ${String(actor.type)}`);
  if (typeof actor.preferredUsername !== "string" || actor.preferredUsername === "") {
    fail(`${self} has no preferredUsername`);
  }
  if (typeof actor.inbox !== "string") fail(`${self} has no inbox`);

  // The loop-back rule: the actor's own host must vouch for it under its preferredUsername.
  const actorUrl = new URL(self);
  const canonical = `${String(actor.preferredUsername)}@${actorUrl.host}`;
  const back = await lookUp(client, actorUrl.origin, canonical).catch((e: Error) =>
    fail(`loop-back WebFinger for ${canonical}: ${e.message}`),
  );
  if (back.self !== self) {
    fail(`loop-back WebFinger for ${canonical} points at ${back.self}, not ${self}`);
  }
  return actor;
}

async function lookUp(
  client: RemoteClient,
  origin: string,
  handle: string,
): Promise<{ subject: string; self: string }> {
  const url = `${origin}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${handle}`)}`;
  // WebFinger is never signed, even in authorized-fetch mode.
  const result = await client.get(url, "application/jrd+json, application/json", false);
  if (result.status !== 200) throw new Error(`WebFinger ${url} answered ${result.status}`);
  const jrd = parseJsonObject(result.body);
  if (!jrd) throw new Error(`WebFinger ${url}: body is not a JSON object`);
  if (typeof jrd.subject !== "string") throw new Error(`WebFinger ${url}: no subject`);
  const links = Array.isArray(jrd.links) ? (jrd.links as unknown[]) : [];
  const self = links.find(
    (l): l is { href: string } =>
      typeof l === "object" &&
      l !== null &&
      (l as JsonObject).rel === "self" &&
      SELF_TYPES.includes(String((l as JsonObject).type)) &&
      typeof (l as JsonObject).href === "string",
  );
  if (!self) throw new Error(`WebFinger ${url}: no self link of type application/activity+json`);
  return { subject: jrd.subject, self: self.href };
}
