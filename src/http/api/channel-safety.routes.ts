import { type Context, Hono } from "hono";
import {
  listTrustedAccounts,
  type TrustedAccount,
  trustAccount,
  untrustAccount,
} from "../../channels/trusted-accounts.service.ts";
import {
  endLockdown,
  listActiveLockdowns,
  startLockdown,
} from "../../moderation/lockdown.service.ts";
import { type AuthEnv, requireAuth } from "../auth.ts";
import { BadBodyError, readFields } from "../body.ts";
import type { HttpDeps } from "../deps.ts";
import { appErrorResponse, errorResponse } from "../errors.ts";
import { managedChannel } from "./channel-access.ts";
import { lockdownJson, parseUntil } from "./lockdown-json.ts";

function trustedJson(t: TrustedAccount) {
  return { id: t.id, actor_id: t.actorIri, acct: t.acct, created_at: t.createdAt.toISOString() };
}

/**
 * A channel's own safety controls, for its managers (owner, members,
 * admins): the trusted accounts whose replies skip approval, and a lockdown
 * of the channel alone.
 */
export function channelSafetyRoutes(deps: HttpDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  const auth = requireAuth(db, deps.tokens);

  const managed = (c: Context<AuthEnv>) => managedChannel(db, c);

  app.onError((e, c) => {
    if (e instanceof BadBodyError) return errorResponse(c, 400, e.message);
    throw e;
  });

  app.get("/:name/trusted_accounts", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    return c.json((await listTrustedAccounts(db, channel.id)).map(trustedJson));
  });

  app.post("/:name/trusted_accounts", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    const fields = await readFields(c);
    const { account, actor_id: actorId } = fields;
    if (typeof account !== "string" && typeof actorId !== "string") {
      return errorResponse(c, 422, 'give "account" (user@host) or "actor_id" (the actor\'s IRI)');
    }
    if (!deps.remoteAccounts) return errorResponse(c, 503, "federation is not running");
    const resolved = await deps.remoteAccounts.resolve(
      typeof account === "string" ? { account } : { actorId: actorId as string },
    );
    if (!resolved.ok) {
      return resolved.error.kind === "invalid"
        ? errorResponse(c, 422, resolved.error.message)
        : appErrorResponse(c, resolved.error);
    }
    const { row, created } = await trustAccount(db, channel.id, resolved.value);
    return c.json(trustedJson(row), created ? 201 : 200);
  });

  app.delete("/:name/trusted_accounts/:id", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    if (!(await untrustAccount(db, channel.id, c.req.param("id")))) {
      return errorResponse(c, 404, "trusted account not found");
    }
    return c.body(null, 204);
  });

  app.post("/:name/lockdown", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    const until = parseUntil((await readFields(c)).until);
    if (until === "invalid") return errorResponse(c, 422, "until must be an ISO 8601 time");
    const result = await startLockdown(
      db,
      { channel: { id: channel.id, handle: channel.handle }, until },
      { kind: "account", accountId: c.get("principal").account.id },
    );
    if (!result.ok) return errorResponse(c, 422, result.error.message);
    return c.json(lockdownJson(result.value), 201);
  });

  app.get("/:name/lockdown", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    return c.json((await listActiveLockdowns(db, channel.id)).map(lockdownJson));
  });

  /** A manager ends their channel's lockdown early (an instance-wide one is the admins'). */
  app.delete("/:name/lockdown/:id", auth, async (c) => {
    const channel = await managed(c);
    if (channel instanceof Response) return channel;
    const actor = { kind: "account", accountId: c.get("principal").account.id } as const;
    const ended = await endLockdown(db, c.req.param("id"), actor, channel.id);
    return ended ? c.body(null, 204) : errorResponse(c, 404, "lockdown not found");
  });

  return app;
}
