import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type Database, type Db, openPostgres } from "../../src/db/client.ts";
import * as schema from "../../src/db/schema/index.ts";

/**
 * The orchestrator's own handle on the bench database (seeding, queue
 * checks, publishing). Same as `openPostgres` but named "haven-bench", so
 * CPU accounting can tell Haven's database sessions (named "haven") apart.
 */
export function openOrchestratorDatabase(url: string): Database {
  const client = postgres(url, {
    max: 4,
    onnotice: () => {},
    connection: { application_name: "haven-bench" },
  });
  const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Db;
  return {
    db,
    kind: "postgres",
    notifier: {
      async listen(channel, onNotify) {
        const sub = await client.listen(channel, onNotify);
        return async () => {
          await sub.unlisten();
        };
      },
    },
    async migrate() {
      const migrator = openPostgres(url, { max: 1 });
      try {
        await migrator.migrate();
      } finally {
        await migrator.close();
      }
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}
