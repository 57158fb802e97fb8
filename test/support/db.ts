import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { inject } from "vitest";
import { type Database, openEmbedded, openPostgres, queryRows } from "../../src/db/client.ts";

export interface TestDatabase {
  database: Database;
  /** PostgreSQL URL of this database, or null on embedded PGlite. */
  url: string | null;
  /** Truncate every table (keeps the migrations). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const templateUrl = inject("templateDatabaseUrl");
  const runId = inject("runId");
  let database: Database;
  let url: string | null = null;
  if (templateUrl) {
    const template = new URL(templateUrl).pathname.slice(1);
    const name = `haven_t_${runId}_${randomBytes(4).toString("hex")}`;
    const admin = postgres(inject("adminDatabaseUrl") ?? templateUrl, {
      max: 1,
      onnotice: () => {},
    });
    try {
      // Concurrent clones of one template can collide (SQLSTATE 55006); retry.
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`);
          break;
        } catch (e) {
          if ((e as { code?: string }).code !== "55006" || attempt >= 20) throw e;
          await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
        }
      }
    } finally {
      await admin.end({ timeout: 5 });
    }
    const u = new URL(templateUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    database = openPostgres(url, { max: 10 });
  } else {
    database = await openEmbedded(undefined);
    await database.migrate();
  }
  return {
    database,
    url,
    async reset() {
      const list = await queryRows<{ tablename: string }>(
        database.db,
        sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
      );
      if (list.length === 0) return;
      await database.db.execute(
        sql.raw(`TRUNCATE ${list.map((r) => `"${r.tablename}"`).join(", ")} CASCADE`),
      );
    },
    close: () => database.close(),
  };
}
