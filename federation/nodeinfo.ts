import type { Federation } from "@fedify/fedify";
import { sql } from "drizzle-orm";
import { queryRows } from "../src/db/client.ts";
import type { HavenContext } from "./context.ts";

export const SOFTWARE_VERSION = "0.1.0";

export function registerNodeInfo(federation: Federation<HavenContext>): void {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async (ctx) => {
    const [counts] = await queryRows<{ users: number; posts: number }>(
      ctx.data.db,
      sql`SELECT (SELECT count(*)::int FROM accounts) AS users, 0 AS posts`,
    );
    return {
      software: {
        name: "haven",
        version: SOFTWARE_VERSION,
        homepage: new URL("https://github.com/haven-social/haven"),
        repository: new URL("https://github.com/haven-social/haven"),
      },
      protocols: ["activitypub"],
      openRegistrations: false,
      usage: {
        users: {
          total: counts?.users ?? 0,
          activeMonth: counts?.users ?? 0,
          activeHalfyear: counts?.users ?? 0,
        },
        localPosts: counts?.posts ?? 0,
        localComments: 0,
      },
      metadata: { nodeName: ctx.canonicalOrigin },
    };
  });
}
