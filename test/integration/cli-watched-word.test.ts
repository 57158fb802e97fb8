/**
 * `haven watched-word …` as an operator runs it: a real process against this file's
 * PostgreSQL database; the core then matches what the CLI stored.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { loadWatchedWordMatcher } from "../../src/comments/watched-word.service.ts";
import { listAuditLog } from "../../src/moderation/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
let dir: string;

function haven(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      "node_modules/.bin/tsx",
      ["src/main.ts", ...args],
      {
        env: { ...process.env, DATABASE_URL: t.url ?? "", DATA_DIR: dir, LOG_LEVEL: "error" },
        timeout: 60_000,
      },
      (error, stdout) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout });
      },
    );
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), "haven-cli-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.close();
});
beforeEach((context) => {
  if (t.url === null) context.skip();
  expect.hasAssertions();
});

test("add a phrase, list it, refuse a duplicate spelling, remove it by its words", async () => {
  const added = await haven(["watched-word", "add", "end", "it", "all"]);
  expect(added.code).toBe(0);
  expect(added.stdout).toMatch(/^[0-9a-f-]{36}\tend it all\n$/);
  expect((await loadWatchedWordMatcher(t.database.db)).firstMatch(["I will END-it all"])).toBe(
    "end it all",
  );
  const again = await haven(["watched-word", "add", "ＥＮＤ IT ALL"]);
  expect(again).toMatchObject({
    code: 1,
    stdout: 'error: "ＥＮＤ IT ALL" is already a watched word\n',
  });
  expect((await haven(["watched-word", "list"])).stdout).toContain("\tend it all");
  const removed = await haven(["watched-word", "remove", "end", "it", "all"]);
  expect(removed).toMatchObject({ code: 0, stdout: "removed end it all\n" });
  expect((await haven(["watched-word", "list"])).stdout).toBe("no watched words\n");
  const audit = await listAuditLog(t.database.db);
  expect(audit.map((a) => a.action).slice(0, 2)).toEqual([
    "watched_word.destroy",
    "watched_word.create",
  ]);
});
