import { Hono } from "hono";
import type { HttpDeps } from "../deps.ts";
import { requireSession, type SessionEnv } from "../session/middleware.ts";
import { Layout } from "./layout.tsx";
import { MessagePage } from "./session-ui.tsx";

/**
 * `/admin`, for administrators only: for now a landing page naming what an
 * admin can already do (in the browser, or through the admin API).
 */
export function adminPageRoutes(_deps: HttpDeps): Hono<SessionEnv> {
  const app = new Hono<SessionEnv>();
  app.use("/admin", requireSession);
  app.use("/admin/*", requireSession);
  app.use("/admin", async (c, next) => {
    if (!c.get("session")!.account.isAdmin) {
      return c.html(
        <MessagePage title="Not allowed">
          <p>The admin pages are for administrators of this Haven. Your account is not one.</p>
        </MessagePage>,
        403,
      );
    }
    await next();
  });
  app.get("/admin", (c) =>
    c.html(
      <Layout title="Admin — Haven">
        <h1>Admin</h1>
        <ul>
          <li>
            <a href="/moderation">Moderation</a>: held replies, open reports and follow requests of
            every channel.
          </li>
        </ul>
        <h2>Through the admin API (a token with admin scopes)</h2>
        <ul>
          <li>
            Domain blocks, CSV import and export: <code>/api/v1/admin/domain_blocks</code>; allows:
            <code>/api/v1/admin/domain_allows</code>
          </li>
          <li>
            Federation mode (blocklist / allowlist): <code>/api/v1/admin/federation_settings</code>
          </li>
          <li>
            Blocklist subscriptions: <code>/api/v1/admin/domain_block_subscriptions</code> and
            /domain_block_drafts
          </li>
          <li>
            Account blocks: <code>/api/v1/admin/account_blocks</code>
          </li>
          <li>
            Accounts: <code>/api/v1/admin/accounts</code>
          </li>
          <li>
            Audit log: <code>/api/v1/admin/audit_log</code>
          </li>
          <li>
            Reports: <code>/api/v1/admin/reports</code>
          </li>
          <li>
            Instance settings: <code>/api/v1/admin/instance_settings</code>
          </li>
        </ul>
      </Layout>,
    ),
  );
  return app;
}
