import type { Federation } from "@fedify/fedify";
import { INSTANCE_ACTOR_HANDLE } from "../../src/actors/handle.ts";
import type { StoredComment } from "../../src/comments/comment.service.ts";
import { findRemoteActor } from "../../src/remote/remote-actor.service.ts";
import { findRemoteReport } from "../../src/reports/report.service.ts";
import { reportedComments } from "../../src/reports/resolve.service.ts";
import type { HavenContext } from "../context.ts";
import { canonicalShape } from "../objects/canonical-shape.ts";
import { enqueuePayload } from "./delivery-payloads.ts";
import type { OutboundHandler } from "./publisher.ts";

/**
 * A report forwarded as Mastodon forwards one (`ReportService#forward_to_origin!`
 * with `ActivityPub::FlagSerializer`): one `Flag` per reported account, from
 * the instance actor so the reporter stays anonymous, `object` = [the
 * account, its reported posts], `content` = the reporter's comment, posted
 * to the account's shared inbox (else its own). The raw-payload path signs
 * it with the instance actor's key; like Mastodon's, it has no `to`/`cc`.
 */
export function createReportForwarding(
  federation: Federation<HavenContext>,
  contextData: HavenContext,
): OutboundHandler {
  const origin = new URL(contextData.config.publicUrl.origin);
  return async (event, eventId) => {
    if (event.type !== "report.forwarded") return;
    const db = contextData.db;
    const found = await findRemoteReport(db, event.reportId);
    if (!found) return;
    const byAuthor = new Map<string, StoredComment[]>();
    for (const c of await reportedComments(db, found.report.commentIds)) {
      byAuthor.set(c.authorIri, [...(byAuthor.get(c.authorIri) ?? []), c]);
    }
    const ctx = federation.createContext(origin, contextData);
    const instanceUri = ctx.getActorUri(INSTANCE_ACTOR_HANDLE).href;
    let n = 0;
    for (const [authorIri, comments] of byAuthor) {
      n += 1;
      const author = await findRemoteActor(db, authorIri);
      if (!author) continue;
      // Derived from the event id: a retried event re-sends the same Flag.
      const flag = canonicalShape({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${instanceUri}#flags/${eventId}/${n}`,
        type: "Flag",
        actor: instanceUri,
        content: found.report.comment,
        object: [authorIri, ...comments.map((c) => c.comment.iri)],
      });
      await enqueuePayload(
        db,
        {
          activityId: flag.id,
          activityType: "https://www.w3.org/ns/activitystreams#Flag",
          sender: INSTANCE_ACTOR_HANDLE,
          keyId: `${instanceUri}#main-key`,
          body: JSON.stringify(flag),
        },
        [{ inbox: author.sharedInboxUrl ?? author.inboxUrl, actorIds: [author.iri] }],
      );
    }
  };
}
