import { Hono } from "hono";
import type { AuthEnv } from "../../auth.ts";
import { accountBlockRoutes } from "./account-blocks.routes.ts";
import { adminAccountRoutes } from "./accounts.routes.ts";
import { auditLogRoutes } from "./audit-log.routes.ts";
import type { AdminDeps } from "./deps.ts";
import { domainAllowRoutes } from "./domain-allows.routes.ts";
import { domainBlockImportRoutes } from "./domain-block-import.routes.ts";
import { domainBlockRoutes } from "./domain-blocks.routes.ts";
import { draftRoutes } from "./drafts.routes.ts";
import { exclusionRoutes } from "./exclusions.routes.ts";
import { instanceSettingsRoutes } from "./instance-settings.routes.ts";
import { measureRoutes } from "./measures.routes.ts";
import { lockdownRoutes, watchedWordRoutes } from "./safety.routes.ts";
import { settingsRoutes } from "./settings.routes.ts";
import { subscriptionRoutes } from "./subscriptions.routes.ts";

/**
 * The admin API, mounted at `/api/v1/admin`: Mastodon's resources at
 * Mastodon's paths and shapes (domain_blocks, domain_allows, measures), and
 * Haven's own beside them (see README "Administration"), and the accounts. Every route needs a
 * bearer token of an admin with an `admin:*` scope.
 */
export function adminRoutes(deps: AdminDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  // Import/export/preview first: their static paths must win over `/:id`.
  app.route("/domain_blocks", domainBlockImportRoutes(deps));
  app.route("/domain_blocks", domainBlockRoutes(deps));
  app.route("/domain_allows", domainAllowRoutes(deps));
  app.route("/measures", measureRoutes(deps));
  app.route("/account_blocks", accountBlockRoutes(deps));
  app.route("/domain_block_subscriptions", subscriptionRoutes(deps));
  app.route("/domain_block_drafts", draftRoutes(deps));
  app.route("/domain_block_exclusions", exclusionRoutes(deps));
  app.route("/federation_settings", settingsRoutes(deps));
  app.route("/instance_settings", instanceSettingsRoutes(deps));
  app.route("/audit_log", auditLogRoutes(deps));
  app.route("/accounts", adminAccountRoutes(deps));
  app.route("/watched_words", watchedWordRoutes(deps));
  app.route("/lockdown", lockdownRoutes(deps));
  return app;
}
