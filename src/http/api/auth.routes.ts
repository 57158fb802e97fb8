import { Hono } from "hono";
import { authenticate } from "../../accounts/account.service.ts";
import { issueToken, LOGIN_TOKEN_TTL_SECONDS } from "../../accounts/token.service.ts";
import { BadBodyError, readFields, requiredString } from "../body.ts";
import type { HttpDeps } from "../deps.ts";
import { errorResponse } from "../errors.ts";

export function authRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.post("/token", async (c) => {
    let username: string;
    let password: string;
    try {
      const fields = await readFields(c);
      username = requiredString(fields, "username");
      password = requiredString(fields, "password");
    } catch (e) {
      if (e instanceof BadBodyError) return errorResponse(c, 400, e.message);
      throw e;
    }
    const account = await authenticate(deps.database.db, username, password);
    if (!account) return errorResponse(c, 401, "Invalid username or password");
    const token = await issueToken(deps.database.db, deps.tokens, account, {
      name: "login",
      ttlSeconds: LOGIN_TOKEN_TTL_SECONDS,
    });
    return c.json({
      access_token: token.accessToken,
      token_type: "Bearer",
      expires_in: token.expiresIn,
      scope: token.scopes.join(" "),
      created_at: Math.floor(Date.now() / 1000),
    });
  });
  return app;
}
