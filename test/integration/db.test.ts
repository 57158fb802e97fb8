import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, test } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { accounts } from "../../src/db/schema/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

test("migrations create the schema and rows round-trip", async () => {
  await t.database.db.insert(accounts).values({ username: "alice", passwordHash: "x" });
  const rows = await queryRows<{ username: string }>(
    t.database.db,
    sql`SELECT username FROM accounts`,
  );
  expect(rows.map((r) => r.username)).toEqual(["alice"]);
});
