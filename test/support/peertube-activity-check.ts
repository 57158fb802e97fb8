/**
 * What PeerTube 6.3 does with an actor document and with an inbox activity
 * before processing them, step by step as its validators
 * (server/core/helpers/custom-validators/activitypub/{actor,activity,misc}.ts).
 * PeerTube answers 204 to a POST and then drops an activity these refuse,
 * silently (its log says "Receiving inbox requests for 0 activities"), so
 * our fakes must apply them: an empty list means PeerTube keeps it.
 */
// isUrl: isActivityPubUrlValid (validator.isURL, http/https with a host, ≤ 2000 characters).
import { isUrl, peertubeVideoProblems } from "./peertube-video-check.ts";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null;
// isObjectValid: a URL, or an object whose id is one.
const isObjectRef = (v: unknown) => isUrl(v) || (isObject(v) && isUrl(v.id));
// isUrlCollectionValid: absent, or an ARRAY of URLs — a bare string is refused.
const isUrlCollection = (v: unknown) => v === undefined || (Array.isArray(v) && v.every(isUrl));
const ACTOR_TYPES = new Set(["Person", "Application", "Group", "Service", "Organization"]);
const USERNAME = /^[A-Za-z0-9\-_.:]+$/;

/** sanitizeAndCheckActorObject, with normalizeActor's reading of `url`. */
export function peertubeActorProblems(input: unknown): string[] {
  if (!isObject(input)) return ["not an object"];
  const actor = input;
  if (typeof actor.type !== "string" || !ACTOR_TYPES.has(actor.type)) return ["type"];
  const problems: string[] = [];
  const fail = (p: string) => problems.push(p);
  // normalizeActor: no url → the id; an array → unarray() (only a ONE-element array
  // becomes its element, which is then a Link object, not a string); an object → href/url.
  let url: unknown = actor.url ?? actor.id;
  if (Array.isArray(url)) url = url.length === 1 ? url[0] : url;
  else if (isObject(url)) url = url.href ?? url.url;
  if (!isUrl(actor.id)) fail("id");
  if (!isUrl(actor.inbox)) fail("inbox");
  if (typeof actor.preferredUsername !== "string" || !USERNAME.test(actor.preferredUsername)) {
    fail("preferredUsername");
  }
  if (!isUrl(url)) fail("url (a URL string is needed)");
  const key = actor.publicKey;
  if (
    !isObject(key) ||
    !isUrl(key.id) ||
    !isUrl(key.owner) ||
    typeof key.publicKeyPem !== "string" ||
    !key.publicKeyPem.startsWith("-----BEGIN PUBLIC KEY-----")
  ) {
    fail("publicKey");
  }
  const endpoints = actor.endpoints;
  if (isObject(endpoints) && endpoints.sharedInbox && !isUrl(endpoints.sharedInbox)) {
    fail("endpoints.sharedInbox");
  }
  for (const k of ["outbox", "following", "followers"]) {
    if (actor[k] && !isUrl(actor[k])) fail(k);
  }
  // setValidAttributedTo: a non-array becomes []; a Group must keep an owner.
  const owners = Array.isArray(actor.attributedTo)
    ? actor.attributedTo.filter(
        (a) =>
          isUrl(a) || (isObject(a) && (a.type === "Group" || a.type === "Person") && isUrl(a.id)),
      )
    : [];
  if (actor.type === "Group" && owners.length === 0) {
    fail("attributedTo (a Group needs an array naming its owner)");
  }
  return problems;
}

/** isRootActivityValid + isActivityValid for the activities Haven sends. */
export function peertubeActivityProblems(input: unknown): string[] {
  if (!isObject(input)) return ["not an object"];
  const a = input;
  const problems: string[] = [];
  const fail = (p: string) => problems.push(p);
  if (!isUrl(a.id)) fail("id");
  if (!isObjectRef(a.actor)) fail("actor");
  if (!isUrlCollection(a.to)) fail("to (must be an array of URLs)");
  if (!isUrlCollection(a.cc)) fail("cc (must be an array of URLs)");
  const object = a.object;
  switch (a.type) {
    case "Announce":
    case "Delete":
    case "Follow":
    case "Like":
    case "Dislike":
      if (!isObjectRef(object)) fail("object");
      break;
    case "Accept":
    case "Reject":
      break;
    case "Update": {
      const type = isObject(object) ? object.type : undefined;
      const inner =
        type === "Video"
          ? peertubeVideoProblems(object).filter(
              (p) => !p.startsWith("dropped:") && !p.startsWith("haven:"),
            )
          : peertubeActorProblems(object);
      for (const p of inner) fail(`object.${p}`);
      break;
    }
    case "Create":
      // PeerTube reads a Create{Note} as a comment; it keeps it only as a reply
      // to something it has. Addressing is what it checks first.
      if (isObject(object) && !isUrlCollection(object.to)) fail("object.to");
      if (isObject(object) && !isUrlCollection(object.cc)) fail("object.cc");
      break;
    default:
      fail(`type ${String(a.type)} (PeerTube has no checker: dropped)`);
  }
  return problems;
}
