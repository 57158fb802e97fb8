import { type Context, Hono } from "hono";
import { authenticate } from "../../accounts/account.service.ts";
import { changeOwnPassword } from "../../accounts/password-change.ts";
import {
  type IssuedToken,
  issueToken,
  LOGIN_TOKEN_TTL_SECONDS,
} from "../../accounts/token.service.ts";
import { type AuthEnv, requireAuth } from "../auth.ts";
import { BadBodyError, readFields, requiredString } from "../body.ts";
import type { HttpDeps } from "../deps.ts";
import { appErrorResponse, errorResponse } from "../errors.ts";

/** Mastodon's token response (OAuth 2 field names). */
function tokenJson(c: Context, token: IssuedToken): Response {
  return c.json({
    access_token: token.accessToken,
    token_type: "Bearer",
    expires_in: token.expiresIn,
    scope: token.scopes.join(" "),
    created_at: Math.floor(Date.now() / 1000),
  });
}

export function authRoutes(deps: HttpDeps): Hono<AuthEnv> {
  const db = deps.database.db;
  const app = new Hono<AuthEnv>();
  app.onError((e, c) => {
    if (e instanceof BadBodyError) return errorResponse(c, 400, e.message);
    throw e;
  });

  app.post("/token", async (c) => {
    const fields = await readFields(c);
    const username = requiredString(fields, "username");
    const password = requiredString(fields, "password");
    const account = await authenticate(db, username, password);
    if (!account) return errorResponse(c, 401, "Invalid username or password");
    const token = await issueToken(db, deps.tokens, account, {
      name: "login",
      ttlSeconds: LOGIN_TOKEN_TTL_SECONDS,
    });
    return tokenJson(c, token);
  });

  /**
   * A wrong current password is 401, like a wrong password at `/token`; the
   * token used stays valid then. On success every earlier token is revoked
   * (a leaked one stops working) and a fresh one comes back.
   */
  app.post("/password", requireAuth(db, deps.tokens), async (c) => {
    const fields = await readFields(c);
    const result = await changeOwnPassword(db, deps.tokens, c.get("principal").account, {
      currentPassword: requiredString(fields, "current_password"),
      newPassword: requiredString(fields, "new_password"),
    });
    if (!result.ok) return appErrorResponse(c, result.error);
    return tokenJson(c, result.value);
  });
  return app;
}
