import type { Context } from "hono";
import { type Channel, canManageChannel, findChannel } from "../../channels/channel.service.ts";
import type { Db } from "../../db/client.ts";
import type { AuthEnv } from "../auth.ts";
import { errorResponse } from "../errors.ts";

/** The channel named in the path, if the caller may manage it; else the 404 or 403 to answer. */
export async function managedChannel(db: Db, c: Context<AuthEnv>): Promise<Channel | Response> {
  const channel = await findChannel(db, c.req.param("name") ?? "");
  if (!channel) return errorResponse(c, 404, "channel not found");
  if (!(await canManageChannel(db, channel, c.get("principal").account))) {
    return errorResponse(c, 403, "you do not manage this channel");
  }
  return channel;
}
