import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { openPostgres } from "../../src/db/client.ts";

/**
 * Once per `npm test`: if PostgreSQL is reachable (TEST_DATABASE_URL, default
 * the local server), build a migrated template database; each test file then
 * clones it (CREATE DATABASE … TEMPLATE), so files run in parallel on fresh
 * databases. Without PostgreSQL, test files fall back to embedded PGlite.
 */
const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabaseUrl: string | null;
    /** Where CREATE DATABASE runs (never the template: cloning needs it idle). */
    adminDatabaseUrl: string | null;
    runId: string;
  }
}

export default async function setup(project: TestProject) {
  const adminUrl = process.env.TEST_DATABASE_URL || DEFAULT_URL;
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  project.provide("runId", runId);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    await admin`SELECT 1`;
  } catch {
    await admin.end({ timeout: 1 }).catch(() => {});
    if (process.env.TEST_DATABASE_URL) {
      throw new Error(`TEST_DATABASE_URL is set but unreachable: ${adminUrl}`);
    }
    console.warn("[test] PostgreSQL not reachable; test files use embedded PGlite");
    project.provide("templateDatabaseUrl", null);
    project.provide("adminDatabaseUrl", null);
    return;
  }
  const template = `haven_tpl_${runId}`;
  await admin.unsafe(`CREATE DATABASE ${template}`);
  const templateUrl = withDatabase(adminUrl, template);
  const database = openPostgres(templateUrl, { max: 1 });
  await database.migrate();
  await database.close();
  project.provide("templateDatabaseUrl", templateUrl);
  project.provide("adminDatabaseUrl", adminUrl);

  return async () => {
    const dbs = await admin<{ datname: string }[]>`
      SELECT datname FROM pg_database WHERE datname LIKE ${`haven_%_${runId}%`}`;
    for (const { datname } of dbs) {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
    }
    await admin.end({ timeout: 5 });
  };
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
