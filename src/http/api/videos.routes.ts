import { rm } from "node:fs/promises";
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { verifyToken } from "../../accounts/token.service.ts";
import { findActorById } from "../../actors/actor.service.ts";
import { type Channel, canManageChannel, findChannel } from "../../channels/channel.service.ts";
import { receiveMultipartUpload } from "../../media/multipart-upload.ts";
import {
  deleteVideo,
  findVideo,
  listCaptions,
  listChannelVideos,
  type SupportVideo,
  updateVideo,
} from "../../videos/video.service.ts";
import { parseVideoMetadata } from "../../videos/video-metadata.ts";
import { type AuthEnv, requireAuth } from "../auth.ts";
import { BadBodyError, readFields } from "../body.ts";
import type { HttpDeps } from "../deps.ts";
import { appErrorResponse, errorResponse } from "../errors.ts";
import { videoJson } from "./video-json.ts";
import { publishStagedVideo } from "./video-publish.ts";

/** Multipart framing and text fields on top of the file itself. */
const FORM_OVERHEAD_BYTES = 1024 * 1024;

export function videoRoutes(deps: HttpDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const auth = requireAuth(db, deps.tokens);

  app.onError((e, c) => {
    if (e instanceof BadBodyError) return errorResponse(c, 400, e.message);
    throw e;
  });

  async function render(c: Context<AuthEnv>, video: SupportVideo, manager: boolean, status = 200) {
    const channel = await findActorById(db, video.channelId);
    const captions = await listCaptions(db, video.id);
    return c.json(
      videoJson(deps.config, video, channel?.handle ?? "", captions, { manager }),
      status as ContentfulStatusCode,
    );
  }

  /** The video plus whether the caller manages its channel. */
  async function load(_c: Context<AuthEnv>, id: string) {
    const video = await findVideo(db, id);
    if (!video || video.state === "deleted") return null;
    const channel = (await findActorById(db, video.channelId)) as Channel | null;
    if (!channel) return null;
    return { video, channel };
  }

  app.post("/", auth, async (c) => {
    const contentType = c.req.header("content-type");
    if (!contentType?.toLowerCase().startsWith("multipart/form-data")) {
      return errorResponse(c, 400, "upload the video as multipart/form-data with a `file` part");
    }
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > deps.config.maxUploadBytes + FORM_OVERHEAD_BYTES) {
      return errorResponse(
        c,
        413,
        `the video is larger than the limit of ${deps.config.maxUploadBytes} bytes`,
      );
    }
    const body = c.req.raw.body;
    if (!body) return errorResponse(c, 400, "the request has no body");
    const upload = await receiveMultipartUpload(body, contentType, {
      stagingDir: deps.stagingDir,
      maxFileBytes: deps.config.maxUploadBytes,
      signal: c.req.raw.signal,
    });
    if (!upload.ok) return errorResponse(c, upload.error.status, upload.error.message);
    const staged = [upload.value.file.path, ...upload.value.captions.map((x) => x.path)];
    const discard = () => Promise.all(staged.map((p) => rm(p, { force: true })));
    try {
      const published = await publishStagedVideo(
        deps,
        c.get("principal").account,
        upload.value.fields,
        { path: upload.value.file.path, captions: upload.value.captions },
      );
      if (!published.ok) {
        await discard();
        return errorResponse(c, published.error.status, published.error.message);
      }
      return render(c, published.value, true, 202);
    } catch (e) {
      await discard();
      throw e;
    }
  });

  app.get("/:id", async (c) => {
    const found = await load(c, c.req.param("id"));
    if (!found) return errorResponse(c, 404, "video not found");
    // Unpublished videos are visible only to those who manage the channel.
    let manager = false;
    const header = c.req.header("authorization");
    if (header) {
      const check = await requireAuthOptional(c);
      manager = check !== null && (await canManageChannel(db, found.channel as Channel, check));
    }
    if (found.video.state !== "published" && !manager)
      return errorResponse(c, 404, "video not found");
    return render(c, found.video, manager);
  });

  async function requireAuthOptional(c: Context<AuthEnv>) {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    if (!token) return null;
    return (await verifyToken(db, deps.tokens, token))?.account ?? null;
  }

  app.patch("/:id", auth, async (c) => {
    const found = await load(c, c.req.param("id"));
    if (!found) return errorResponse(c, 404, "video not found");
    if (!(await canManageChannel(db, found.channel as Channel, c.get("principal").account))) {
      return errorResponse(c, 403, "you do not manage this video's channel");
    }
    const patch = parseVideoMetadata(await readFields(c), true);
    if (!patch.ok) return appErrorResponse(c, patch.error);
    const updated = await updateVideo(db, deps.events, found.video, patch.value);
    if (!updated.ok) return appErrorResponse(c, updated.error);
    return render(c, updated.value, true);
  });

  app.delete("/:id", auth, async (c) => {
    const found = await load(c, c.req.param("id"));
    if (!found) return errorResponse(c, 404, "video not found");
    const channel = found.channel as Channel;
    if (!(await canManageChannel(db, channel, c.get("principal").account))) {
      return errorResponse(c, 403, "you do not manage this video's channel");
    }
    const result = await deleteVideo(db, deps.events, deps.storage, found.video, {
      channelId: channel.id,
      ownerActorId: channel.ownerActorId ?? "",
    });
    if (!result.ok) return appErrorResponse(c, result.error);
    return c.body(null, 204);
  });

  return app;
}

/** `GET /api/v1/channels/:name/videos` — published videos, newest first. */
export function channelVideosHandler(deps: HttpDeps) {
  const db = deps.database.db;
  return async (c: Context) => {
    const channel = await findChannel(db, c.req.param("name") ?? "");
    if (!channel) return errorResponse(c, 404, "channel not found");
    const limit = Number(c.req.query("limit") ?? "20");
    const beforeRaw = c.req.query("before");
    const before = beforeRaw ? new Date(beforeRaw) : undefined;
    if (before && Number.isNaN(before.getTime()))
      return errorResponse(c, 400, "before must be an ISO date");
    const videos = await listChannelVideos(db, channel.id, {
      limit: Number.isFinite(limit) ? limit : 20,
      before,
    });
    const items = await Promise.all(
      videos.map(async (v) =>
        videoJson(deps.config, v, channel.handle, await listCaptions(db, v.id), { manager: false }),
      ),
    );
    const last = videos.at(-1);
    if (
      last &&
      videos.length === (Number.isFinite(limit) ? Math.min(Math.max(limit, 1), 100) : 20)
    ) {
      const next = new URL(c.req.url);
      next.searchParams.set("before", last.createdAt.toISOString());
      c.header("Link", `<${next.href}>; rel="next"`);
    }
    return c.json(items);
  };
}
