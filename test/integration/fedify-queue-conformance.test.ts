import { testMessageQueue } from "@fedify/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { PostgresMessageQueue } from "../../federation/storage/index.ts";
import { openPostgres } from "../../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

test("passes Fedify's MessageQueue conformance suite (two connections, ordering keys)", async () => {
  expect.hasAssertions();
  // mq1 and mq2 get separate connection pools, like two worker processes.
  const second = t.url === null ? t.database : openPostgres(t.url, { max: 4 });
  let made = 0;
  try {
    await testMessageQueue(
      () =>
        new PostgresMessageQueue(made++ === 0 ? t.database : second, {
          queue: "conformance",
          pollIntervalMs: 500,
        }),
      ({ controller }) => controller.abort(),
      { testOrderingKey: true },
    );
  } finally {
    if (second !== t.database) await second.close();
  }
  const depth = await new PostgresMessageQueue(t.database, { queue: "conformance" }).getDepth();
  expect(depth).toEqual({ queued: 0, ready: 0, delayed: 0 });
});
