import { Hono } from "hono";
import { type Principal, verifyToken } from "../../accounts/token.service.ts";
import {
  getModerationSettings,
  getPublicationSettings,
  listPublicDomainBlocks,
  type PublishLevel,
  toPublicDomainBlock,
} from "../../moderation/index.ts";
import type { HttpDeps } from "../deps.ts";
import { errorResponse } from "../errors.ts";

const visibleTo = (level: PublishLevel, signedIn: boolean) =>
  level === "all" || (level === "users" && signedIn);

/**
 * `GET /api/v1/instance/domain_blocks`, as Mastodon's
 * `Api::V1::Instances::DomainBlocksController`: 404 (empty) unless the admin
 * publishes the list (`publish_domain_blocks`: `all`, or `users` for signed-in
 * members); comments only as `publish_domain_blocks_rationale` allows;
 * obfuscated domains shown as `exa****.com` with their digest. In allowlist
 * mode the endpoint needs a signed-in member (401), as on Mastodon.
 */
export function instanceRoutes(deps: HttpDeps): Hono {
  const db = deps.database.db;
  const app = new Hono();
  app.get("/domain_blocks", async (c) => {
    const header = c.req.header("authorization");
    const token = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    const principal: Principal | null = token ? await verifyToken(db, deps.tokens, token) : null;
    if (token && !principal) return errorResponse(c, 401, "The access token is invalid");
    const signedIn = principal !== null;
    const moderation = await getModerationSettings(db);
    if (moderation.federationMode === "allowlist" && !signedIn) {
      return errorResponse(c, 401, "This method requires an authenticated user");
    }
    const settings = await getPublicationSettings(db);
    if (!visibleTo(settings.publishDomainBlocks, signedIn)) return c.body(null, 404);
    const withComment = visibleTo(settings.publishDomainBlocksRationale, signedIn);
    const rows = await listPublicDomainBlocks(db);
    // Mastodon caches this publicly for 3 minutes; a members-only answer stays private.
    c.header(
      "Cache-Control",
      settings.publishDomainBlocks === "all" && moderation.federationMode !== "allowlist"
        ? "max-age=180, public"
        : "private, max-age=180",
    );
    if (settings.publishDomainBlocks !== "all") c.header("Vary", "Authorization");
    return c.json(rows.map((row) => toPublicDomainBlock(row, { withComment })));
  });
  return app;
}
