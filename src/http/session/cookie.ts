import { createHmac } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { HttpDeps } from "../deps.ts";
import { SESSION_ABSOLUTE_SECONDS } from "./store.ts";

/**
 * The cookie: signed (HMAC, a key of its own derived from the API token key,
 * so a value forged without SECRET_KEY is refused before any database work),
 * HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site POSTs),
 * Secure with the `__Host-` prefix when the public URL is https (then no
 * subdomain or plain-http page can set or overwrite it).
 */
export interface SessionCookie {
  name: string;
  secure: boolean;
  key: string;
}

export function sessionCookie(deps: Pick<HttpDeps, "config" | "tokens">): SessionCookie {
  const secure = deps.config.publicUrl.protocol === "https:";
  return {
    name: secure ? "__Host-haven_session" : "haven_session",
    secure,
    key: createHmac("sha256", deps.tokens.key)
      .update("haven web session cookie")
      .digest("base64url"),
  };
}

export async function readSessionCookie(c: Context, cookie: SessionCookie): Promise<string | null> {
  const value = await getSignedCookie(c, cookie.key, cookie.name);
  return typeof value === "string" && value.length > 0 ? value : null;
}

export async function writeSessionCookie(
  c: Context,
  cookie: SessionCookie,
  secret: string,
): Promise<void> {
  await setSignedCookie(c, cookie.name, secret, cookie.key, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: cookie.secure,
    // The browser may keep it as long as the server would accept it at most.
    maxAge: SESSION_ABSOLUTE_SECONDS,
  });
}

export function clearSessionCookie(c: Context, cookie: SessionCookie): void {
  deleteCookie(c, cookie.name, { path: "/", secure: cookie.secure });
}
