import { type Database, openPostgres } from "../../src/db/client.ts";

/**
 * The orchestrator's own handle on the bench database (seeding, queue
 * checks, publishing), named "haven-bench" so CPU accounting can tell
 * Haven's database sessions (named "haven") apart.
 */
export function openOrchestratorDatabase(url: string): Database {
  return openPostgres(url, { max: 4, applicationName: "haven-bench" });
}
