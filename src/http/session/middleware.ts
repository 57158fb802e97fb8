import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getContext } from "hono/context-storage";
import type { Db } from "../../db/client.ts";
import { readSessionCookie, type SessionCookie } from "./cookie.ts";
import { findSession, type WebSession } from "./store.ts";

export type SessionEnv = { Variables: { session: WebSession | null } };

/** Looks up the browser's session, when it sends a cookie at all. */
export function loadSession(db: Db, cookie: SessionCookie): MiddlewareHandler<SessionEnv> {
  return async (c, next) => {
    const secret = await readSessionCookie(c, cookie);
    c.set("session", secret ? await findSession(db, secret) : null);
    await next();
  };
}

/**
 * The session of the request being rendered, for the page header (the
 * layout is shared by pages that do not pass it along); null outside a
 * request or when signed out.
 */
export function currentSession(): WebSession | null {
  try {
    return getContext<SessionEnv>().var.session ?? null;
  } catch {
    return null;
  }
}

/** Where to go after signing in: only a path on this site (no `//evil`, no scheme). */
export function safeNext(next: string | undefined | null): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  // Control characters could make a browser read the path as something else.
  if ([...next].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) return "/";
  return next;
}

/** Signed-out visitors go to the sign-in page and come back here afterwards. */
export const requireSession: MiddlewareHandler<SessionEnv> = async (c, next) => {
  if (!c.get("session")) {
    const url = new URL(c.req.url);
    return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  }
  await next();
};

/**
 * A cross-site POST is refused before anything runs: the browser says where
 * the form was (`Sec-Fetch-Site`, `Origin`); a page on another site cannot
 * forge either. Requests without them (old browsers, curl) still need the
 * session's CSRF token on every form that changes something.
 */
export function crossSite(c: Context, origin: string): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return true;
  const from = c.req.header("origin");
  return from !== undefined && from !== origin;
}

/** The form's `_csrf` field is the session's token. */
export function csrfMatches(session: WebSession, form: Record<string, unknown>): boolean {
  const sent = form._csrf;
  if (typeof sent !== "string") return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
