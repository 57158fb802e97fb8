import { Hono } from "hono";
import { findChannel } from "../../../channels/channel.service.ts";
import {
  addWatchedWord,
  listWatchedWords,
  removeWatchedWord,
  type WatchedWord,
} from "../../../comments/watched-word.service.ts";
import {
  endLockdown,
  listActiveLockdowns,
  startLockdown,
} from "../../../moderation/lockdown.service.ts";
import type { AuthEnv } from "../../auth.ts";
import { errorResponse } from "../../errors.ts";
import { lockdownJson, parseUntil } from "../lockdown-json.ts";
import type { AdminDeps } from "./deps.ts";
import { actorOf, adminAuth, readParams } from "./support.ts";

function watchedWordJson(w: WatchedWord) {
  return { id: w.id, word: w.word, created_at: w.createdAt.toISOString() };
}

/** `/api/v1/admin/watched_words`: the instance's watched words and phrases. */
export function watchedWordRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read");
  const write = adminAuth(deps, "admin:write");

  app.get("/", read, async (c) => c.json((await listWatchedWords(db)).map(watchedWordJson)));

  app.post("/", write, async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const { word } = body.params;
    if (typeof word !== "string") return errorResponse(c, 422, "word is required");
    const result = await addWatchedWord(db, word, actorOf(c));
    if (!result.ok) {
      return errorResponse(c, result.error.kind === "conflict" ? 409 : 422, result.error.message);
    }
    return c.json(watchedWordJson(result.value), 201);
  });

  app.delete("/:id", write, async (c) => {
    const id = c.req.param("id");
    if (!/^[0-9a-f-]{36}$/i.test(id)) return errorResponse(c, 404, "watched word not found");
    const removed = await removeWatchedWord(db, id, actorOf(c));
    return removed ? c.body(null, 204) : errorResponse(c, 404, "watched word not found");
  });
  return app;
}

/** `/api/v1/admin/lockdown`: instance-wide (or any channel's) lockdowns. */
export function lockdownRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const read = adminAuth(deps, "admin:read");
  const write = adminAuth(deps, "admin:write");

  app.get("/", read, async (c) => c.json((await listActiveLockdowns(db)).map(lockdownJson)));

  app.post("/", write, async (c) => {
    const body = await readParams(c);
    if (!body.ok) return body.response;
    const until = parseUntil(body.params.until);
    if (until === "invalid") return errorResponse(c, 422, "until must be an ISO 8601 time");
    const name = body.params.channel;
    let channel = null;
    if (name !== undefined && name !== null && name !== "") {
      if (typeof name !== "string") return errorResponse(c, 422, "channel must be a channel name");
      channel = await findChannel(db, name);
      if (!channel) return errorResponse(c, 404, "channel not found");
    }
    const result = await startLockdown(
      db,
      { channel: channel ? { id: channel.id, handle: channel.handle } : null, until },
      actorOf(c),
    );
    if (!result.ok) return errorResponse(c, 422, result.error.message);
    return c.json(lockdownJson(result.value), 201);
  });

  app.delete("/:id", write, async (c) => {
    const ended = await endLockdown(db, c.req.param("id"), actorOf(c));
    return ended ? c.body(null, 204) : errorResponse(c, 404, "lockdown not found");
  });
  return app;
}
