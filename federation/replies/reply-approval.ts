import type { Federation } from "@fedify/fedify";
import { findActorById } from "../../src/actors/actor.service.ts";
import { findCommentById, type StoredComment } from "../../src/comments/comment.service.ts";
import type { Db } from "../../src/db/client.ts";
import { findRemoteActor } from "../../src/remote/remote-actor.service.ts";
import type { HavenContext } from "../context.ts";
import { canonicalShape, PUBLIC_IRI } from "../objects/canonical-shape.ts";
import { enqueuePayload } from "../outbound/delivery-payloads.ts";
import type { OutboundHandler } from "../outbound/publisher.ts";
import type { InstanceSoftwareResolver } from "../videos/instance-software.ts";

/**
 * GoToSocial's interaction controls: a reply to a post whose
 * `interactionPolicy` asks for approval stays pending on the replier's
 * server until the post's author answers with an `Accept` (its `result` a
 * dereferenceable `ReplyAuthorization`, newer GoToSocial; the `Accept` itself
 * dereferenceable, for older ones that check `approvedBy`) or a `Reject`.
 * Terms are defined inline: receivers need not fetch GoToSocial's context.
 */
const CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  {
    gts: "https://gotosocial.org/ns#",
    ReplyAuthorization: "gts:ReplyAuthorization",
    interactingObject: { "@id": "gts:interactingObject", "@type": "@id" },
    interactionTarget: { "@id": "gts:interactionTarget", "@type": "@id" },
  },
];

const APPROVAL_PATH = /^\/users\/([^/]+)\/(approvals|authorizations)\/([^/]+)$/;

interface Approval {
  channelUri: string;
  stored: StoredComment;
}

function approvalUris(channelUri: string, commentId: string) {
  return {
    accept: `${channelUri}/approvals/${commentId}`,
    authorization: `${channelUri}/authorizations/${commentId}`,
  };
}

function acceptJson({ channelUri, stored }: Approval) {
  const uris = approvalUris(channelUri, stored.comment.id);
  return canonicalShape({
    "@context": CONTEXT,
    id: uris.accept,
    type: "Accept",
    actor: channelUri,
    to: [stored.authorIri],
    cc: [PUBLIC_IRI],
    object: stored.comment.iri,
    result: uris.authorization,
  });
}

function authorizationJson({ channelUri, stored }: Approval) {
  return {
    "@context": CONTEXT,
    id: approvalUris(channelUri, stored.comment.id).authorization,
    type: "ReplyAuthorization",
    attributedTo: channelUri,
    interactingObject: stored.comment.iri,
    interactionTarget: stored.comment.inReplyToIri,
  };
}

/** The comment and its video's channel, if the comment is a reply to that channel's video. */
async function approvalOf(
  db: Db,
  commentId: string,
  channelUriOf: (channelId: string) => Promise<string | null>,
): Promise<Approval | null> {
  const stored = await findCommentById(db, commentId);
  if (!stored || stored.comment.parentId !== null) return null;
  const channelUri = await channelUriOf(stored.video.channelId);
  return channelUri ? { channelUri, stored } : null;
}

/**
 * Servers that read an `Accept`/`Reject` of a reply as interaction controls.
 * Only these get one: PeerTube 6.3 applies any `Accept` or `Reject` from an
 * actor to the receiver's follow of that actor, whatever its `object`
 * (process-accept.ts, process-reject.ts), so a rejected comment would end
 * its author's subscription to the channel.
 */
const UNDERSTANDS_REPLY_APPROVAL = new Set(["gotosocial"]);

/** `comment.moderated` → the `Accept` or `Reject` to the reply's author. */
export function createReplyApprovals(
  federation: Federation<HavenContext>,
  contextData: HavenContext,
  software: Pick<InstanceSoftwareResolver, "softwareOf">,
): OutboundHandler {
  const origin = new URL(contextData.config.publicUrl.origin);
  return async (event, eventId) => {
    if (event.type !== "comment.moderated") return;
    const db = contextData.db;
    const ctx = federation.createContext(origin, contextData);
    let handle: string | null = null;
    const approval = await approvalOf(db, event.commentId, async (channelId) => {
      handle = (await findActorById(db, channelId))?.handle ?? null;
      return handle ? ctx.getActorUri(handle).href : null;
    });
    if (!approval || handle === null) return;
    const author = await findRemoteActor(db, approval.stored.authorIri);
    if (!author) return;
    if (!UNDERSTANDS_REPLY_APPROVAL.has(await software.softwareOf(author.iri))) return;
    const activity =
      event.state === "visible"
        ? acceptJson(approval)
        : canonicalShape({
            "@context": "https://www.w3.org/ns/activitystreams",
            id: `${approval.channelUri}#rejects/${eventId}`,
            type: "Reject",
            actor: approval.channelUri,
            to: [approval.stored.authorIri],
            object: approval.stored.comment.iri,
          });
    await enqueuePayload(
      db,
      {
        activityId: String(activity.id),
        activityType: `https://www.w3.org/ns/activitystreams#${activity.type}`,
        sender: handle,
        keyId: `${approval.channelUri}#main-key`,
        body: JSON.stringify(activity),
      },
      // The author's own inbox: GoToSocial has no shared inbox, and the
      // answer concerns that one account.
      [{ inbox: author.inboxUrl, actorIds: [author.iri] }],
    );
  };
}

/**
 * `GET /users/NAME/approvals/ID` (the `Accept`) and `…/authorizations/ID`
 * (the `ReplyAuthorization`): while the reply is approved; 404 otherwise, so
 * a rejected or withdrawn approval no longer proves anything.
 */
export async function answerReplyApproval(
  request: Request,
  path: string,
  contextData: HavenContext,
): Promise<Response | null> {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const match = APPROVAL_PATH.exec(path);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  const [, handle, kind, commentId] = match;
  const channelUri = new URL(`/users/${handle}`, contextData.config.publicUrl.origin).href;
  const approval = await approvalOf(contextData.db, commentId, async (channelId) => {
    const channel = await findActorById(contextData.db, channelId);
    return channel?.handle === handle ? channelUri : null;
  });
  if (approval?.stored.comment.state !== "visible") {
    return new Response("Not Found", { status: 404, headers: { "Content-Type": "text/plain" } });
  }
  const body = kind === "approvals" ? acceptJson(approval) : authorizationJson(approval);
  return new Response(request.method === "HEAD" ? null : JSON.stringify(body), {
    headers: { "Content-Type": "application/activity+json", Vary: "Accept" },
  });
}
