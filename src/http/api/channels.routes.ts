import { rm } from "node:fs/promises";
import { type Context, Hono } from "hono";
import {
  type Channel,
  type ChannelPatch,
  canAdministerChannel,
  canManageChannel,
  countFollowers,
  createChannel,
  findChannel,
  listChannels,
  listFollowersOf,
  updateChannel,
} from "../../channels/channel.service.ts";
import { type ChannelImageInput, updateChannelWithImages } from "../../channels/channel-images.ts";
import {
  addChannelMember,
  listChannelMembers,
  removeChannelMember,
} from "../../channels/channel-members.service.ts";
import { defaultCommentsPolicyOf } from "../../comments/comment-defaults.ts";
import { acceptFollowRequest, rejectFollowRequest } from "../../follows/follow.service.ts";
import { getHideCounts } from "../../instance/instance-settings.ts";
import { receiveImageForm } from "../../media/image-form.ts";
import { MAX_PROFILE_IMAGE_BYTES } from "../../media/profile-image.ts";
import { type AuthEnv, optionalPrincipal, requireAuth } from "../auth.ts";
import {
  BadBodyError,
  type Fields,
  optionalBoolean,
  optionalString,
  readFields,
  requiredString,
} from "../body.ts";
import type { HttpDeps } from "../deps.ts";
import { appErrorResponse, errorResponse } from "../errors.ts";
import { managedChannel } from "./channel-access.ts";
import { channelJson, followerJson, memberJson } from "./channel-json.ts";

/** Multipart framing and text fields besides the images. */
const FORM_SLACK_BYTES = 1024 * 1024;

function parsePatch(fields: Fields): ChannelPatch {
  const patch: ChannelPatch = {};
  const displayName = optionalString(fields, "display_name");
  if (displayName !== undefined) patch.displayName = displayName;
  const summary = optionalString(fields, "summary");
  if (summary !== undefined) patch.summary = summary;
  for (const [key, prop] of [
    ["manually_approves_followers", "manuallyApprovesFollowers"],
    ["discoverable", "discoverable"],
    ["indexable", "indexable"],
    ["append_support_link", "appendSupportLink"],
  ] as const) {
    const v = optionalBoolean(fields, key);
    if (v !== undefined) patch[prop] = v;
  }
  const policy = fields.default_comments_policy;
  if (policy !== undefined) {
    if (policy !== null && policy !== "open" && policy !== "approval" && policy !== "closed") {
      throw new BadBodyError("default_comments_policy must be open, approval, closed or null");
    }
    patch.defaultCommentsPolicy = policy;
  }
  if (fields.fields !== undefined) {
    const list = fields.fields;
    if (
      !Array.isArray(list) ||
      !list.every((f) => typeof f?.name === "string" && typeof f?.value === "string")
    ) {
      throw new BadBodyError("fields must be an array of {name, value} strings");
    }
    patch.fields = list.map((f) => ({ name: f.name, value: f.value }));
  }
  return patch;
}

export function channelRoutes(deps: HttpDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const auth = requireAuth(db, deps.tokens);

  const json = async (channel: Channel) =>
    channelJson(
      deps.config,
      channel,
      await countFollowers(db, channel.id),
      await defaultCommentsPolicyOf(db, channel),
    );

  /**
   * A channel as the caller may see it: with counts hidden (the instance
   * default) `followers_count` is null except to the channel's managers.
   */
  const visibleJson = async (c: Context, channel: Channel) => {
    const view = await json(channel);
    if (!(await getHideCounts(db))) return view;
    const principal = await optionalPrincipal(c, db, deps.tokens);
    const manager = principal ? await canManageChannel(db, channel, principal.account) : false;
    return manager ? view : { ...view, followers_count: null };
  };

  const managed = (c: Context<AuthEnv>) => managedChannel(db, c);

  /** Loads the channel and checks the caller may change its members: owner or admin. */
  async function administered(c: Context<AuthEnv>): Promise<Channel | Response> {
    const channel = await findChannel(db, c.req.param("name") ?? "");
    if (!channel) return errorResponse(c, 404, "channel not found");
    if (!(await canAdministerChannel(db, channel, c.get("principal").account))) {
      return errorResponse(c, 403, "only the channel's owner or an admin may change its members");
    }
    return channel;
  }

  app.onError((e, c) => {
    if (e instanceof BadBodyError) return errorResponse(c, 400, e.message);
    throw e;
  });

  app.get("/", async (c) =>
    c.json(await Promise.all((await listChannels(db)).map((ch) => visibleJson(c, ch)))),
  );

  app.post("/", auth, async (c) => {
    const fields = await readFields(c);
    const result = await createChannel(db, {
      name: requiredString(fields, "name"),
      ownerAccountId: c.get("principal").account.id,
      displayName: optionalString(fields, "display_name"),
      summary: optionalString(fields, "summary"),
      manuallyApprovesFollowers: optionalBoolean(fields, "manually_approves_followers"),
    });
    if (!result.ok) return appErrorResponse(c, result.error);
    return c.json(await json(result.value), 201);
  });

  app.get("/:name", async (c) => {
    const channel = await findChannel(db, c.req.param("name"));
    if (!channel) return errorResponse(c, 404, "channel not found");
    return c.json(await visibleJson(c, channel));
  });

  app.patch("/:name", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    const type = c.req.header("content-type")?.toLowerCase() ?? "";
    if (type.startsWith("multipart/form-data")) return patchWithImages(c, channel);
    const result = await updateChannel(db, deps.events, channel, parsePatch(await readFields(c)));
    if (!result.ok) return appErrorResponse(c, result.error);
    return c.json(await json(result.value));
  });

  /**
   * Mastodon's update_credentials shape: the profile fields plus `avatar`
   * and/or `header` image files, streamed to staging, sniffed, re-encoded.
   */
  async function patchWithImages(c: Context<AuthEnv>, channel: Channel): Promise<Response> {
    const refuse = (status: number, message: string) => {
      // The body may be unread: do not let the client reuse the connection.
      c.header("Connection", "close");
      return errorResponse(c, status, message);
    };
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > 2 * MAX_PROFILE_IMAGE_BYTES + FORM_SLACK_BYTES) {
      return refuse(413, "the images are larger than the limit of 8 MiB each");
    }
    const body = c.req.raw.body;
    if (!body) return errorResponse(c, 400, "the request has no body");
    const form = await receiveImageForm(body, c.req.header("content-type"), {
      stagingDir: deps.stagingDir,
      imageParts: ["avatar", "header"],
      maxImageBytes: MAX_PROFILE_IMAGE_BYTES,
      signal: c.req.raw.signal,
    });
    if (!form.ok) return refuse(form.error.status, form.error.message);
    const images: ChannelImageInput[] = (["avatar", "header"] as const).flatMap((kind) => {
      const image = form.value.images[kind];
      return image ? [{ kind, path: image.path, sniff: image.sniff }] : [];
    });
    try {
      const result = await updateChannelWithImages(
        {
          db,
          events: deps.events,
          storage: deps.storage,
          workDir: deps.stagingDir,
          mediaBase: `${deps.config.publicUrl.origin}/media/`,
        },
        channel,
        parsePatch(form.value.fields),
        images,
      );
      if (!result.ok) return appErrorResponse(c, result.error);
      return c.json(await json(result.value));
    } finally {
      await Promise.all(images.map((i) => rm(i.path, { force: true })));
    }
  }

  app.get("/:name/followers", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    const limit = Number(c.req.query("limit") ?? "40");
    const rows = await listFollowersOf(db, channel.id, {
      status: "accepted",
      limit: Number.isFinite(limit) && limit > 0 ? limit : 40,
    });
    return c.json(rows.map(followerJson));
  });

  app.get("/:name/follow_requests", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    return c.json((await listFollowersOf(db, channel.id, { status: "pending" })).map(followerJson));
  });

  app.get("/:name/members", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    return c.json((await listChannelMembers(db, channel)).map(memberJson));
  });

  app.post("/:name/members", auth, async (c) => {
    const channel = await administered(c);
    if (channel instanceof Response) return channel;
    const username = requiredString(await readFields(c), "username");
    const result = await addChannelMember(db, channel, username);
    if (!result.ok) return appErrorResponse(c, result.error);
    return c.json(memberJson(result.value), 201);
  });

  app.delete("/:name/members/:username", auth, async (c) => {
    const channel = await administered(c);
    if (channel instanceof Response) return channel;
    const result = await removeChannelMember(db, channel, c.req.param("username"));
    if (!result.ok) return appErrorResponse(c, result.error);
    return c.body(null, 204);
  });

  for (const [verb, action] of [
    ["authorize", acceptFollowRequest],
    ["reject", rejectFollowRequest],
  ] as const) {
    app.post(`/:name/follow_requests/:id/${verb}`, auth, async (c) => {
      const channel = await managed(c);
      if (channel instanceof Response) return channel;
      const id = c.req.param("id");
      if (!/^[0-9a-f-]{36}$/i.test(id)) return errorResponse(c, 404, "follow request not found");
      const result = await action(db, deps.events, channel.id, id);
      if (!result.ok) return appErrorResponse(c, result.error);
      return c.json({ id, status: verb === "authorize" ? "accepted" : "rejected" });
    });
  }
  return app;
}
