import { type Context, Hono } from "hono";
import { type Principal, verifyToken } from "../../accounts/token.service.ts";
import { findActorById } from "../../actors/actor.service.ts";
import { type Channel, canManageChannel } from "../../channels/channel.service.ts";
import {
  deleteComment,
  findCommentById,
  findCommentWithAuthor,
  listVideoComments,
  moderateComment,
} from "../../comments/comment.service.ts";
import type { CommentState } from "../../comments/comment-policy.ts";
import { findVideo, type SupportVideo } from "../../videos/video.service.ts";
import { type AuthEnv, requireAuth } from "../auth.ts";
import type { HttpDeps } from "../deps.ts";
import { errorResponse } from "../errors.ts";
import { commentJson } from "./comment-json.ts";

const STATES: Record<string, readonly CommentState[]> = {
  visible: ["visible"],
  held: ["held"],
  rejected: ["rejected"],
  all: ["held", "visible", "rejected"],
};

function pageOf(c: Context): { limit: number; offset: number } {
  const limit = Number.parseInt(c.req.query("limit") ?? "", 10);
  const offset = Number.parseInt(c.req.query("offset") ?? "", 10);
  return {
    limit: Number.isFinite(limit) ? Math.min(Math.max(limit, 1), 100) : 40,
    offset: Number.isFinite(offset) ? Math.max(offset, 0) : 0,
  };
}

/**
 * Replies from other servers. Anyone sees a published video's visible ones;
 * the channel's managers (its owner, admins) also see held and rejected
 * ones and decide: approve → visible, reject → hidden but kept (so a
 * re-delivery does not bring it back as new), delete → gone.
 * Mounted at /api/v1.
 */
export function commentRoutes(deps: HttpDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const write = requireAuth(db, deps.tokens, "write");

  async function manages(video: SupportVideo, principal: Principal | null): Promise<boolean> {
    if (!principal) return false;
    const channel = await findActorById(db, video.channelId);
    return channel !== null && canManageChannel(db, channel as Channel, principal.account);
  }

  async function optionalPrincipal(c: Context): Promise<Principal | null> {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    return token ? verifyToken(db, deps.tokens, token) : null;
  }

  app.get("/videos/:id/comments", async (c) => {
    const video = await findVideo(db, c.req.param("id"));
    if (!video || video.state === "deleted") return errorResponse(c, 404, "video not found");
    const wanted = c.req.query("state") ?? "visible";
    const states = STATES[wanted];
    if (!states) return errorResponse(c, 400, "state must be visible, held, rejected or all");
    if (wanted !== "visible" || video.state !== "published") {
      const principal = await optionalPrincipal(c);
      if (!principal) {
        c.header("WWW-Authenticate", 'Bearer realm="haven"');
        return errorResponse(c, 401, "sign in to see comments that are not public");
      }
      if (!(await manages(video, principal))) {
        return video.state === "published"
          ? errorResponse(c, 403, "you do not manage this video's channel")
          : errorResponse(c, 404, "video not found");
      }
    }
    const rows = await listVideoComments(db, video.id, { states, ...pageOf(c) });
    return c.json(rows.map((row) => commentJson(row, wanted !== "visible")));
  });

  /** The comment, if the caller manages its video's channel. */
  async function managed(c: Context<AuthEnv>) {
    const found = await findCommentById(db, c.req.param("id") ?? "");
    if (!found) return { error: errorResponse(c, 404, "comment not found") } as const;
    if (!(await manages(found.video, c.get("principal")))) {
      return { error: errorResponse(c, 403, "you do not manage this video's channel") } as const;
    }
    return { found } as const;
  }

  for (const [action, state] of [
    ["approve", "visible"],
    ["reject", "rejected"],
  ] as const) {
    app.post(`/comments/:id/${action}`, write, async (c) => {
      const { found, error } = await managed(c);
      if (error) return error;
      await moderateComment(
        db,
        deps.events,
        found.comment.id,
        state,
        c.get("principal").account.id,
      );
      const row = await findCommentWithAuthor(db, found.comment.id);
      return row ? c.json(commentJson(row, true)) : errorResponse(c, 404, "comment not found");
    });
  }

  app.delete("/comments/:id", write, async (c) => {
    const { found, error } = await managed(c);
    if (error) return error;
    await deleteComment(db, found.comment.id);
    return c.body(null, 204);
  });

  return app;
}
