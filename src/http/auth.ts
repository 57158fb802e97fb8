import type { Context, MiddlewareHandler } from "hono";
import {
  checkToken,
  hasScope,
  type Principal,
  type TokenSettings,
} from "../accounts/token.service.ts";
import type { Db } from "../db/client.ts";
import { errorResponse } from "./errors.ts";

export type AuthEnv = { Variables: { principal: Principal } };

function bearer(c: Context): string | null {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1] ?? null;
}

/** Requires a valid bearer token; with `scope`, also that scope (403 otherwise). */
export function requireAuth(
  db: Db,
  tokens: TokenSettings,
  scope?: string,
): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const token = bearer(c);
    if (!token) {
      c.header("WWW-Authenticate", 'Bearer realm="haven"');
      return errorResponse(c, 401, "The access token is missing");
    }
    const checked = await checkToken(db, tokens, token);
    if (!("principal" in checked)) {
      c.header("WWW-Authenticate", 'Bearer realm="haven", error="invalid_token"');
      return errorResponse(c, 401, checked.problem);
    }
    const principal = checked.principal;
    if (scope && !hasScope(principal, scope)) {
      return errorResponse(c, 403, "This action is outside the authorized scopes");
    }
    if (scope?.startsWith("admin:") && !principal.account.isAdmin) {
      return errorResponse(c, 403, "This action is allowed only for administrators");
    }
    c.set("principal", principal);
    await next();
  };
}

/**
 * The caller behind a valid bearer token, if any, for routes anyone may call
 * that show more to some (a channel's managers see its counts).
 */
export async function optionalPrincipal(
  c: Context,
  db: Db,
  tokens: TokenSettings,
): Promise<Principal | null> {
  const token = bearer(c);
  if (!token) return null;
  const checked = await checkToken(db, tokens, token);
  return "principal" in checked ? checked.principal : null;
}
