import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
/**
 * A database handle or an open transaction: functions that take a `Db` run
 * either standalone or inside a caller's transaction.
 */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export const MIGRATIONS_FOLDER = resolve(fileURLToPath(new URL("../../drizzle", import.meta.url)));

/** Postgres LISTEN/NOTIFY, which both drivers offer in different shapes. */
export interface Notifier {
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
}

export interface Database {
  readonly db: Db;
  readonly kind: "postgres" | "embedded";
  readonly notifier: Notifier;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** `db.execute()` returns an array on postgres.js and `{rows}` on PGlite. */
export async function queryRows<T extends Record<string, unknown>>(
  db: Db,
  query: SQL,
): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export function openPostgres(
  url: string,
  options: { max?: number; applicationName?: string } = {},
): Database {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // Shown in pg_stat_activity; the bench tells its own sessions apart by it.
    connection: { application_name: options.applicationName ?? "haven" },
  });
  const db = drizzlePostgres(client, { schema, casing: "snake_case" }) as unknown as Db;
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
      // A dedicated single connection holds the advisory lock, so several
      // processes starting at once apply migrations exactly once.
      const lockClient = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await lockClient`SELECT pg_advisory_lock(734205001)`;
        await migratePostgres(drizzlePostgres(lockClient), { migrationsFolder: MIGRATIONS_FOLDER });
        await lockClient`SELECT pg_advisory_unlock(734205001)`;
      } finally {
        await lockClient.end({ timeout: 5 });
      }
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dir} is in use by another Haven process (pid ${pid}). ` +
        "Only one process can open it at a time: stop the server first, or use the HTTP API " +
        "(POST /api/v1/...) while it runs, or set DATABASE_URL to a PostgreSQL server so the " +
        "CLI and the server can run side by side.",
    );
    this.name = "EmbeddedDatabaseBusyError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** One process owns a PGlite data directory; a pid lock file says which. */
function acquireLock(dir: string): () => void {
  const lockPath = join(dir, "haven.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new EmbeddedDatabaseBusyError(dir, pid);
      }
      rmSync(lockPath, { force: true }); // stale lock from a crashed process
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

/**
 * Embedded PGlite. `dir` undefined = in memory (tests). The same drizzle
 * migrations apply as on PostgreSQL.
 */
export async function openEmbedded(dir: string | undefined): Promise<Database> {
  let release = () => {};
  if (dir !== undefined) {
    mkdirSync(dir, { recursive: true });
    release = acquireLock(dir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(dir === undefined ? undefined : join(dir, "pgdata"));
  } catch (e) {
    release();
    throw e;
  }
  return fromPglite(client, release);
}

export function fromPglite(client: PGlite, release: () => void = () => {}): Database {
  const db = drizzlePglite(client, { schema, casing: "snake_case" }) as unknown as Db;
  return {
    db,
    kind: "embedded",
    notifier: {
      async listen(channel, onNotify) {
        const unsubscribe = await client.listen(channel, onNotify);
        return async () => {
          await unsubscribe();
        };
      },
    },
    async migrate() {
      await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_FOLDER });
    },
    async close() {
      try {
        await client.close();
      } finally {
        release();
      }
    },
  };
}

export async function openDatabase(config: {
  databaseUrl: string | undefined;
  dataDir: string;
}): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl);
  return openEmbedded(join(config.dataDir, "db"));
}

export async function pingDatabase(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`SELECT 1`);
    return true;
  } catch {
    return false;
  }
}
