import { Hono } from "hono";
import type { Channel } from "../../channels/channel.service.ts";
import { listFollowersOf } from "../../channels/channel.service.ts";
import { listManagedChannels } from "../../channels/managed-channels.ts";
import { findCommentById, moderateComment } from "../../comments/comment.service.ts";
import { listHeldReplies } from "../../comments/held-queue.ts";
import { acceptFollowRequest, rejectFollowRequest } from "../../follows/follow.service.ts";
import { listRemoteReports } from "../../reports/report.service.ts";
import type { HttpDeps } from "../deps.ts";
import { csrfMatches, requireSession, type SessionEnv } from "../session/middleware.ts";
import type { WebSession } from "../session/store.ts";
import { Layout } from "./layout.tsx";
import { csrfRefused } from "./login.tsx";
import {
  FollowRequests,
  HeldReplies,
  OpenReports,
  type PendingFollow,
} from "./moderation-view.tsx";
import { MessagePage } from "./session-ui.tsx";

const forbidden = () => (
  <MessagePage title="Not allowed">
    <p>
      The moderation queue is for the people who manage a channel, and for administrators. Your
      account does not manage any channel.
    </p>
  </MessagePage>
);

const DONE: Record<string, string> = {
  approved: "The reply was approved: it is now public.",
  rejected: "The reply was rejected: it stays hidden.",
  "follow-approved": "The follow request was approved.",
  "follow-rejected": "The follow request was rejected.",
};

/**
 * `/moderation`: one queue of what waits for a person — held replies, open
 * reports, follow requests — for the channels the account manages (all of
 * them for an admin). The decisions are the API's services, behind the
 * same permission rule.
 */
export function moderationRoutes(deps: HttpDeps): Hono<SessionEnv> {
  const db = deps.database.db;
  const app = new Hono<SessionEnv>();
  app.use("/moderation", requireSession);
  app.use("/moderation/*", requireSession);

  const managed = (session: WebSession) => listManagedChannels(db, session.account);

  app.get("/moderation", async (c) => {
    const session = c.get("session")!;
    const channels = await managed(session);
    if (channels.length === 0 && !session.account.isAdmin) return c.html(forbidden(), 403);
    const ids = channels.map((ch) => ch.id);
    const [held, reports, pending] = await Promise.all([
      listHeldReplies(db, ids),
      listRemoteReports(db, { resolved: false, limit: 200 }).then((all) =>
        session.account.isAdmin
          ? all
          : all.filter((r) => r.report.targetActorId && ids.includes(r.report.targetActorId)),
      ),
      Promise.all(
        channels.map(async (ch) =>
          (await listFollowersOf(db, ch.id, { status: "pending", limit: 200 })).map(
            (request): PendingFollow => ({ channel: ch, request }),
          ),
        ),
      ).then((lists) => lists.flat()),
    ]);
    const done = DONE[c.req.query("done") ?? ""];
    return c.html(
      <Layout title="Moderation — Haven">
        <h1>Moderation</h1>
        {done ? (
          <p class="notice" role="status">
            {done}
          </p>
        ) : null}
        <p>
          {session.account.isAdmin
            ? "As an administrator you see every channel's queue."
            : `Channels you manage: ${channels.map((ch) => `@${ch.handle}`).join(", ")}.`}
        </p>
        <HeldReplies replies={held} />
        <OpenReports reports={reports} origin={deps.config.publicUrl.origin} />
        <FollowRequests pending={pending} />
      </Layout>,
    );
  });

  for (const [verb, state] of [
    ["approve", "visible"],
    ["reject", "rejected"],
  ] as const) {
    app.post(`/moderation/comments/:id/${verb}`, async (c) => {
      const session = c.get("session")!;
      if (!csrfMatches(session, await c.req.parseBody())) return c.html(csrfRefused(), 403);
      const found = await findCommentById(db, c.req.param("id"));
      const channels = await managed(session);
      if (!found || !channels.some((ch) => ch.id === found.video.channelId)) {
        return c.html(notFound(), 404);
      }
      await moderateComment(db, deps.events, found.comment.id, state, session.account.id);
      return c.redirect(`/moderation?done=${verb === "approve" ? "approved" : "rejected"}`, 303);
    });
  }

  for (const [verb, decide] of [
    ["approve", acceptFollowRequest],
    ["reject", rejectFollowRequest],
  ] as const) {
    app.post(`/moderation/follow-requests/:channel/:id/${verb}`, async (c) => {
      const session = c.get("session")!;
      if (!csrfMatches(session, await c.req.parseBody())) return c.html(csrfRefused(), 403);
      const channel: Channel | undefined = (await managed(session)).find(
        (ch) => ch.handle === c.req.param("channel"),
      );
      if (!channel) return c.html(notFound(), 404);
      const result = await decide(db, deps.events, channel.id, c.req.param("id"));
      if (!result.ok) return c.html(notFound(), 404);
      return c.redirect(
        `/moderation?done=follow-${verb === "approve" ? "approved" : "rejected"}`,
        303,
      );
    });
  }
  return app;
}

const notFound = () => (
  <MessagePage title="Not found">
    <p>
      That item is no longer waiting, or it is not on a channel you manage.{" "}
      <a href="/moderation">Back to the queue</a>
    </p>
  </MessagePage>
);
