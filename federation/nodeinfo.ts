import type { Config } from "../src/config.ts";
import type { Db } from "../src/db/client.ts";
import { readUsageStats, type UsageStats } from "../src/instance/usage-stats.ts";

export const SOFTWARE_VERSION = "0.1.0";
const SOFTWARE_NAME = "haven"; // the schemas' pattern: ^[a-z0-9-]+$
const REPOSITORY = "https://github.com/haven-social/haven";

export const NODEINFO_VERSIONS = ["2.0", "2.1"] as const;
export type NodeInfoVersion = (typeof NODEINFO_VERSIONS)[number];

const schemaUri = (version: NodeInfoVersion) =>
  `http://nodeinfo.diaspora.software/ns/schema/${version}`;
export const nodeInfoPath = (version: NodeInfoVersion) => `/nodeinfo/${version}`;
export const WELL_KNOWN_NODEINFO = "/.well-known/nodeinfo";

/**
 * Both schema versions, linked from `/.well-known/nodeinfo`. Mastodon
 * (app/serializers/node_info/serializer.rb) and PeerTube
 * (server/core/controllers/misc.ts) serve and read only 2.0; GoToSocial
 * (internal/processing/fedi/wellknown.go) links 2.0 and 2.1; Misskey
 * (FetchInstanceMetadataService.ts) prefers 2.1. The two documents differ
 * only in `version` and in 2.1's `software.repository`/`homepage`, which the
 * 2.0 schema forbids (`additionalProperties: false`).
 */
export function nodeInfoDocument(
  version: NodeInfoVersion,
  stats: UsageStats,
  instance: Pick<Config, "instanceName" | "instanceDescription">,
): Record<string, unknown> {
  const software: Record<string, string> = { name: SOFTWARE_NAME, version: SOFTWARE_VERSION };
  if (version === "2.1") {
    software.repository = REPOSITORY;
    software.homepage = REPOSITORY;
  }
  const metadata: Record<string, unknown> = {
    // Read by Misskey (nodeName, nodeDescription), shown by PeerTube and crawlers.
    nodeName: instance.instanceName,
    // PeerTube's own key: its posts are videos, as ours are.
    taxonomy: { postsName: "Videos" },
  };
  if (instance.instanceDescription) metadata.nodeDescription = instance.instanceDescription;
  return {
    version,
    software,
    protocols: ["activitypub"],
    services: { inbound: [], outbound: [] },
    // Accounts are created by an admin (CLI); there is no sign-up.
    openRegistrations: false,
    usage: {
      users: {
        total: stats.users,
        activeMonth: stats.activeMonth,
        activeHalfyear: stats.activeHalfyear,
      },
      localPosts: stats.localPosts,
      localComments: stats.localComments,
    },
    metadata,
  };
}

/** `/.well-known/nodeinfo`: 2.0 first (what naive crawlers take), then 2.1. */
export function nodeInfoLinks(origin: string): { links: { rel: string; href: string }[] } {
  return {
    links: NODEINFO_VERSIONS.map((version) => ({
      rel: schemaUri(version),
      href: `${origin}${nodeInfoPath(version)}`,
    })),
  };
}

export interface NodeInfoDeps {
  readonly db: Db;
  readonly config: Pick<Config, "publicUrl" | "instanceName" | "instanceDescription">;
  /** How long the usage counts are reused (crawlers poll; PeerTube caches 10 min). */
  readonly cacheMs?: number;
}

// Public and read by browsers' tools too: CORS as PeerTube (`cors()`) and Mastodon do.
const COMMON_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Cache-Control": "public, max-age=300",
  Vary: "Accept",
};

/**
 * Serves the three NodeInfo URLs without Fedify: Fedify 2.3.6 links and
 * serves one version (2.1, with a `$schema` key the schema does not allow)
 * and sets no CORS header. Returns null for any other path.
 */
export function createNodeInfoHandler(
  deps: NodeInfoDeps,
): (request: Request) => Promise<Response | null> {
  const cacheMs = deps.cacheMs ?? 60_000;
  let cached: { at: number; stats: Promise<UsageStats> } | null = null;
  const stats = () => {
    const now = Date.now();
    if (cached === null || now - cached.at >= cacheMs) {
      const pending = readUsageStats(deps.db);
      pending.catch(() => {
        if (cached?.stats === pending) cached = null;
      });
      cached = { at: now, stats: pending };
    }
    return cached.stats;
  };
  const origin = deps.config.publicUrl.origin;

  return async (request) => {
    const path = new URL(request.url).pathname;
    const version = NODEINFO_VERSIONS.find((v) => path === nodeInfoPath(v));
    if (path !== WELL_KNOWN_NODEINFO && version === undefined) return null;
    if (request.method === "OPTIONS") {
      return new Response(null, {
        status: 204,
        headers: { ...COMMON_HEADERS, "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS" },
      });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response(null, { status: 405, headers: { Allow: "GET, HEAD, OPTIONS" } });
    }
    const body =
      version === undefined
        ? nodeInfoLinks(origin)
        : nodeInfoDocument(version, await stats(), deps.config);
    const type =
      version === undefined
        ? "application/json"
        : `application/json; profile="${schemaUri(version)}#"`;
    return new Response(request.method === "HEAD" ? null : JSON.stringify(body), {
      headers: { ...COMMON_HEADERS, "Content-Type": type },
    });
  };
}
