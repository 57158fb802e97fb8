import type { FollowerView } from "../../channels/channel.service.ts";
import { displayHandle } from "../../comments/author-display.ts";
import type { HeldReply } from "../../comments/held-queue.ts";
import { cleanDisplayName, LINK_REL, sanitizeRemoteHtml } from "../../comments/sanitize-html.ts";
import type { ReportWithTarget } from "../../reports/report.service.ts";
import { safeHref } from "./comments.tsx";
import { CsrfField } from "./session-nav.tsx";

/** Two POST buttons, each its own form (keyboard: Tab, Enter; no script). */
function Decide(props: { action: string; label: string }) {
  return (
    <div class="actions">
      <form method="post" action={`${props.action}/approve`}>
        <CsrfField />
        <button type="submit" aria-label={`Approve ${props.label}`}>
          Approve
        </button>
      </form>
      <form method="post" action={`${props.action}/reject`}>
        <CsrfField />
        <button type="submit" class="reject" aria-label={`Reject ${props.label}`}>
          Reject
        </button>
      </form>
    </div>
  );
}

/** Why a reply waits, as a moderator reads it (`held_reason` / `held_word`). */
const HELD_BECAUSE = {
  policy: "replies to this video wait for approval",
  watched_word: "it contains a watched word",
  silenced_domain: "its server is silenced",
  lockdown: "a lockdown is on",
} as const;

function heldReason(reply: HeldReply): string {
  const { heldReason: reason, heldWord: word } = reply.comment;
  const text = HELD_BECAUSE[reason ?? "policy"];
  return word ? `${text} (“${word}”)` : text;
}

export function HeldReplies(props: { replies: HeldReply[] }) {
  return (
    <section aria-labelledby="held-title">
      <h2 id="held-title">Held replies ({props.replies.length})</h2>
      {props.replies.length === 0 ? <p>No replies are waiting.</p> : null}
      {props.replies.map((reply) => {
        const handle = displayHandle(reply.author.handle, reply.author.iri);
        const name = cleanDisplayName(reply.author.displayName);
        return (
          <article class="card" id={`held-${reply.comment.id}`}>
            <p>
              <a href={safeHref(reply.author.url) ?? safeHref(reply.author.iri)} rel={LINK_REL}>
                {name ? <bdi>{name}</bdi> : null} <bdi dir="ltr">@{handle}</bdi>
              </a>{" "}
              on <a href={`/videos/${reply.video.id}`}>{reply.video.title}</a>
            </p>
            <p class="held-reason">Held because: {heldReason(reply)}</p>
            {reply.comment.summary ? (
              <p>
                <strong>Content warning:</strong> {reply.comment.summary}
              </p>
            ) : null}
            <blockquote
              lang={reply.comment.language ?? undefined}
              dangerouslySetInnerHTML={{ __html: sanitizeRemoteHtml(reply.comment.content) }}
            />
            <Decide
              action={`/moderation/comments/${reply.comment.id}`}
              label={`the reply from @${handle}`}
            />
          </article>
        );
      })}
    </section>
  );
}

export function OpenReports(props: { reports: ReportWithTarget[]; origin: string }) {
  return (
    <section aria-labelledby="reports-title">
      <h2 id="reports-title">Open reports ({props.reports.length})</h2>
      {props.reports.length === 0 ? <p>No open reports.</p> : null}
      {props.reports.map(({ report, targetHandle }) => {
        const videoId = report.videoIds[0];
        const commentId = report.commentIds[0];
        return (
          <article class="card">
            <p>
              <strong>
                {report.category === "someone_may_be_at_risk"
                  ? "Someone may be at risk"
                  : report.category}
              </strong>{" "}
              · {report.createdAt.toISOString().slice(0, 16).replace("T", " ")} UTC ·{" "}
              {report.source === "local"
                ? "from a visitor"
                : `from ${report.reporterDomain ?? "?"}`}
            </p>
            {report.comment ? <blockquote>{report.comment}</blockquote> : null}
            <p>
              {videoId ? (
                <a href={`/videos/${videoId}${commentId ? `#comment-${commentId}` : ""}`}>
                  {commentId ? "The reported comment" : "The reported video"}
                </a>
              ) : targetHandle ? (
                <a href={`/@${targetHandle}`}>@{targetHandle}</a>
              ) : (
                "No local content named"
              )}
            </p>
          </article>
        );
      })}
    </section>
  );
}

export interface PendingFollow {
  channel: { id: string; handle: string };
  request: FollowerView;
}

export function FollowRequests(props: { pending: PendingFollow[] }) {
  return (
    <section aria-labelledby="follows-title">
      <h2 id="follows-title">Follow requests ({props.pending.length})</h2>
      {props.pending.length === 0 ? <p>No follow requests are waiting.</p> : null}
      {props.pending.map(({ channel, request }) => {
        const handle = displayHandle(request.handle, request.iri);
        return (
          <article class="card">
            <p>
              {request.displayName ? <bdi>{cleanDisplayName(request.displayName)}</bdi> : null}{" "}
              <bdi dir="ltr">@{handle}</bdi> wants to follow{" "}
              <a href={`/@${channel.handle}`}>@{channel.handle}</a>
            </p>
            <Decide
              action={`/moderation/follow-requests/${channel.handle}/${request.id}`}
              label={`@${handle}'s follow request`}
            />
          </article>
        );
      })}
    </section>
  );
}
