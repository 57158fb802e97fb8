import { createPrivateKey, type KeyObject } from "node:crypto";
import { signRequest } from "../../test/support/http-signatures.ts";
import { buildRequest } from "./http-client.ts";

/**
 * S4's traffic: Create(Note) / Like / Follow in turn from 100 fake actors,
 * each with a unique id, signed the way Mastodon signs (draft-cavage,
 * rsa-sha256, `(request-target) host date digest content-type`). Follows go
 * to the channel's own inbox, the rest to the shared inbox.
 */
export interface InboxPlan {
  actorsOrigin: string;
  /** Host header of the server under test. */
  host: string;
  /** Local channel the Follows and mentions are for. */
  channel: string;
  runTag: string;
}

export const ACTIVITY_KINDS = ["Create", "Like", "Follow"] as const;

export function inboxRequest(plan: InboxPlan, keys: readonly KeyObject[], i: number): Buffer {
  const actorIndex = i % keys.length;
  const kind = ACTIVITY_KINDS[i % ACTIVITY_KINDS.length]!;
  const actor = `${plan.actorsOrigin}/users/a${actorIndex}`;
  const haven = `http://${plan.host}`;
  const channel = `${haven}/users/${plan.channel}`;
  const id = `${actor}/activities/${plan.runTag}-${i}`;
  let activity: Record<string, unknown>;
  if (kind === "Create") {
    const published = new Date().toISOString();
    activity = {
      "@context": ["https://www.w3.org/ns/activitystreams", { sensitive: "as:sensitive" }],
      id,
      type: "Create",
      actor,
      published,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      cc: [`${actor}/followers`, channel],
      object: {
        id: `${id}/note`,
        type: "Note",
        summary: null,
        inReplyTo: null,
        published,
        url: `${plan.actorsOrigin}/@a${actorIndex}/${plan.runTag}-${i}`,
        attributedTo: actor,
        to: ["https://www.w3.org/ns/activitystreams#Public"],
        cc: [`${actor}/followers`, channel],
        sensitive: false,
        content: `<p>Thank you for the video, <span class="h-card"><a href="${channel}" class="u-url mention">@<span>${plan.channel}</span></a></span>. ${"It helped me get through a hard week. ".repeat(8)}</p>`,
        tag: [{ type: "Mention", href: channel, name: `@${plan.channel}@${plan.host}` }],
        attachment: [],
      },
    };
  } else if (kind === "Like") {
    activity = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id,
      type: "Like",
      actor,
      object: `${haven}/videos/00000000-0000-4000-8000-${String(i % 1000).padStart(12, "0")}`,
    };
  } else {
    activity = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id,
      type: "Follow",
      actor,
      object: channel,
    };
  }
  const body = JSON.stringify(activity);
  const path = kind === "Follow" ? `/users/${plan.channel}/inbox` : "/inbox";
  const headers = signRequest({
    method: "POST",
    url: `${haven}${path}`,
    body,
    keyId: `${actor}#main-key`,
    privateKeyPem: keys[actorIndex]!,
    headers: { "User-Agent": "Mastodon/4.3.0 (bench)", Accept: "*/*" },
  });
  return buildRequest("POST", path, plan.host, headers, body);
}

export function importKeys(pems: readonly string[]): KeyObject[] {
  return pems.map((pem) => createPrivateKey(pem));
}
