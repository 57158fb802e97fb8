import type { Hono } from "hono";
import { contextStorage } from "hono/context-storage";
import type { HttpDeps } from "../deps.ts";
import { STYLE } from "../web/layout.tsx";
import { sessionCookie } from "./cookie.ts";
import { crossSite, loadSession } from "./middleware.ts";

/**
 * Every HTML page: scripts only from this origin, never inline (a comment
 * or display name that slipped through escaping still could not run).
 * Inline style attributes stay allowed: pages use a few for layout, and CSS
 * cannot run code. Media and images are ours; avatars of remote accounts
 * come from their https servers. Pages are not framed (the embed player
 * sets its own policy).
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' https: data:",
  "media-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join("; ");

/**
 * Browser sessions, the cross-site POST guard, the page CSP and the
 * stylesheet, for the pages mounted after this on `app`.
 */
export function installWebSessions(app: Hono, deps: HttpDeps): void {
  const cookie = sessionCookie(deps);
  const origin = deps.config.publicUrl.origin;
  app.use("*", async (c, next) => {
    await next();
    const type = c.res.headers.get("content-type") ?? "";
    if (type.startsWith("text/html") && !c.res.headers.has("content-security-policy")) {
      c.res.headers.set("Content-Security-Policy", PAGE_CSP);
    }
  });
  app.get("/static/haven.css", (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "public, max-age=300");
    return c.body(STYLE);
  });
  // A form posted from another site changes nothing, whatever it targets
  // (the API takes bearer tokens, which a browser never sends by itself).
  app.use("*", async (c, next) => {
    if (c.req.method === "POST" && !c.req.path.startsWith("/api/") && crossSite(c, origin)) {
      return c.html(
        "<!doctype html><title>Refused — Haven</title><h1>Refused</h1><p>This form was sent from another site, so Haven did not act on it.</p>",
        403,
      );
    }
    await next();
  });
  app.use("*", contextStorage());
  app.use("*", loadSession(deps.database.db, cookie) as never);
}
