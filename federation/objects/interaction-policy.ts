import type { VideoFace } from "../videos/video-face.ts";

type Json = Record<string, unknown>;

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const GTS = "https://gotosocial.org/ns#";

/**
 * GoToSocial's `interactionPolicy` (docs.gotosocial.org, "Interaction
 * Controls"; FEP-044f): who may reply to the Note at once and whose reply
 * waits for approval. GoToSocial then marks a reply to an approval video as
 * pending for its author instead of showing it as accepted. Published with
 * both spellings: `automaticApproval` / `manualApproval` (GoToSocial 0.20+)
 * and `always` / `approvalRequired` (earlier versions, which newer ones still
 * send too). The trusted list is deliberately not published: who a channel
 * for vulnerable people trusts is nobody else's business, and a trusted
 * author's reply is simply approved on arrival.
 */
export function interactionPolicyOf(face: VideoFace): Json {
  const channel = face.urls.channel.href;
  const [automatic, manual] =
    face.commentsPolicy === "open"
      ? [[PUBLIC], []]
      : face.commentsPolicy === "approval"
        ? [[channel], [PUBLIC]]
        : [[channel], []];
  const rule = (a: string[], m: string[]) => ({
    automaticApproval: a,
    manualApproval: m,
    always: a,
    approvalRequired: m,
  });
  return {
    canLike: rule([PUBLIC], []),
    canReply: rule(automatic, manual),
    canAnnounce: rule([PUBLIC], []),
  };
}

/**
 * Adds `interactionPolicy` to the Note (or the Note an activity embeds) in
 * its compacted JSON-LD, with GoToSocial's terms in the context. Fedify's
 * vocabulary has no such property, so it is added after `toJsonLd`, like
 * the blurhash. Returns a copy.
 */
export function withInteractionPolicy<T extends Json>(json: T, face: VideoFace): T {
  const policy = interactionPolicyOf(face);
  const object = json.object;
  let patched: Json;
  if (json.type === "Note") patched = { ...json, interactionPolicy: policy };
  else if (typeof object === "object" && object !== null && (object as Json).type === "Note") {
    patched = { ...json, object: { ...(object as Json), interactionPolicy: policy } };
  } else return json;
  if (patched["@context"] !== undefined) patched["@context"] = withGtsTerms(patched["@context"]);
  return patched as T;
}

/** GoToSocial's terms, defined inline (no remote context document to fetch). */
function withGtsTerms(context: unknown): unknown {
  const terms: Json = { gts: GTS };
  for (const name of [
    "interactionPolicy",
    "canLike",
    "canReply",
    "canAnnounce",
    "automaticApproval",
    "manualApproval",
    "always",
    "approvalRequired",
  ]) {
    terms[name] = { "@id": `gts:${name}`, "@type": "@id" };
  }
  const list = Array.isArray(context) ? [...context] : [context];
  const index = list.findLastIndex((c) => typeof c === "object" && c !== null);
  if (index >= 0) list[index] = { ...(list[index] as Json), ...terms };
  else list.push(terms);
  return list;
}
