/**
 * `haven user password …` and `haven channel member …` as an operator runs
 * them: a real process (`tsx src/main.ts`) against this file's database.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { authenticate, createAccount } from "../../src/accounts/account.service.ts";
import { issueToken, verifyToken } from "../../src/accounts/token.service.ts";
import { canManageChannel, createChannel } from "../../src/channels/channel.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
let dir: string;

function haven(
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      "node_modules/.bin/tsx",
      ["src/main.ts", ...args],
      {
        env: { ...process.env, DATABASE_URL: t.url ?? "", DATA_DIR: dir, LOG_LEVEL: "error" },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? "");
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), "haven-cli-accounts-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

// The CLI needs a server database; on embedded PGlite the file is skipped.
// Each test starts several real processes (a few seconds each on a busy box).
beforeEach((context) => {
  if (t.url === null) context.skip();
});

test("user password: generated or from stdin; earlier tokens stop working", async () => {
  const db = t.database.db;
  const created = await createAccount(db, {
    username: "locked_out",
    password: "forgotten one",
    isAdmin: true,
  });
  expect(created.ok).toBe(true);
  const account = created.ok ? created.value.account : null;
  const tokens = { key: new TextEncoder().encode("k".repeat(32)), issuer: "http://cli.test" };
  const old = await issueToken(db, tokens, account!, { name: "test", ttlSeconds: 3600 });

  const generated = await haven(["user", "password", "locked_out"]);
  expect(generated.code).toBe(0);
  const password = /^password: (\S+)$/m.exec(generated.stdout)?.[1];
  expect(password).toBeDefined();
  expect(await authenticate(db, "locked_out", password!)).not.toBeNull();
  expect(await authenticate(db, "locked_out", "forgotten one")).toBeNull();
  expect(await verifyToken(db, tokens, old.accessToken)).toBeNull();

  const chosen = await haven(
    ["user", "password", "locked_out", "--password-stdin"],
    "my chosen passphrase\n",
  );
  expect(chosen.code).toBe(0);
  expect(chosen.stdout).not.toMatch(/password:/);
  expect(await authenticate(db, "locked_out", "my chosen passphrase")).not.toBeNull();

  const short = await haven(["user", "password", "locked_out", "--password-stdin"], "short\n");
  expect(short.code).toBe(1);
  expect(short.stdout).toMatch(/at least 10 characters/);
  expect((await haven(["user", "password", "ghost"])).code).toBe(1);
}, 240_000);

test("channel member add and remove", async () => {
  const db = t.database.db;
  const owner = await createAccount(db, { username: "chan_owner", password: "0123456789" });
  const helper = await createAccount(db, { username: "helper", password: "0123456789" });
  if (!owner.ok || !helper.ok) throw new Error("setup");
  const channel = await createChannel(db, {
    name: "shared",
    ownerAccountId: owner.value.account.id,
  });
  if (!channel.ok) throw new Error("setup");
  const helperAccount = helper.value.account;

  const add = await haven(["channel", "member", "add", "shared", "helper"]);
  expect(add.code).toBe(0);
  expect(add.stdout).toMatch(/helper is now a member of shared/);
  expect(await canManageChannel(db, channel.value, helperAccount)).toBe(true);
  const again = await haven(["channel", "member", "add", "shared", "helper"]);
  expect(again.code).toBe(1);
  expect(again.stdout).toMatch(/already a member/);

  const remove = await haven(["channel", "member", "remove", "shared", "helper"]);
  expect(remove.code).toBe(0);
  expect(await canManageChannel(db, channel.value, helperAccount)).toBe(false);

  const usage = await haven(["channel", "member", "promote", "shared", "helper"]);
  expect(usage.code).toBe(64);
  expect(usage.stderr).toMatch(/channel member add\|remove CHANNEL USER/);
}, 240_000);
