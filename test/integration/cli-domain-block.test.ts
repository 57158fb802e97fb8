/**
 * `haven domain-block …` as an operator runs it: a real process
 * (`tsx src/main.ts`) against this file's PostgreSQL database, checked by its
 * output and exit code and by what the core then reads from the database.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAccount } from "../../src/accounts/account.service.ts";
import { createChannel } from "../../src/channels/channel.service.ts";
import { follows } from "../../src/db/schema/index.ts";
import { listAuditLog, listDomainBlocks } from "../../src/moderation/index.ts";
import { upsertRemoteActor } from "../../src/remote/remote-actor.service.ts";
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
        env: {
          ...process.env,
          DATABASE_URL: t.url ?? "",
          DATA_DIR: dir,
          LOG_LEVEL: "error",
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

async function blocks() {
  const rows = await listDomainBlocks(t.database.db, { limit: 200 });
  return new Map(rows.map((r) => [r.domain, r]));
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
  // The CLI needs a server database; on embedded PGlite the file is skipped.
  if (t.url === null) context.skip();
  expect.hasAssertions();
});

describe("haven domain-block", () => {
  test("add with every option, then list shows it; a looser duplicate is refused", async () => {
    const res = await haven([
      "domain-block",
      "add",
      "Evil.Example",
      "--severity",
      "suspend",
      "--reject-media",
      "--reject-reports",
      "--private-comment",
      "ticket 12",
      "--public-comment",
      "Harassment",
      "--obfuscate",
    ]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("blocked evil.example (suspend)");
    expect((await blocks()).get("evil.example")).toMatchObject({
      severity: "suspend",
      rejectMedia: true,
      rejectReports: true,
      privateComment: "ticket 12",
      publicComment: "Harassment",
      obfuscate: true,
    });
    const list = await haven(["domain-block", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(
      "evil.example\tsuspend\treject-media,reject-reports,obfuscate\tHarassment",
    );
    const again = await haven(["domain-block", "add", "sub.evil.example", "--severity", "silence"]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("You have already imposed stricter limits on evil.example.");
  });

  test("the audit log names system by default, or the admin given with --as", async () => {
    const created = await createAccount(t.database.db, {
      username: "ada",
      password: "correct horse battery",
      isAdmin: true,
    });
    expect(created.ok).toBe(true);
    const res = await haven(["domain-block", "add", "as.example", "--as", "ada"]);
    expect(res.code).toBe(0);
    const [entry] = await listAuditLog(t.database.db, { target: "as.example" });
    expect(entry?.actor).toMatch(/^account:/);
    const [system] = await listAuditLog(t.database.db, { target: "evil.example" });
    expect(system?.actor).toBe("system");
    const nobody = await haven(["domain-block", "add", "x.example", "--as", "nobody"]);
    expect(nobody.code).toBe(1);
    expect(nobody.stdout).toContain('no user named "nobody"');
  });

  test("import previews (line-numbered) and applies only with --apply; follows are purged", async () => {
    // A follower on spam.example, made the way the inbox makes one.
    const owner = await createAccount(t.database.db, {
      username: "olive",
      password: "correct horse battery",
    });
    if (!owner.ok) throw new Error(owner.error.message);
    const channel = await createChannel(t.database.db, {
      name: "skills",
      ownerAccountId: owner.value.account.id,
    });
    if (!channel.ok) throw new Error(channel.error.message);
    const follower = await upsertRemoteActor(t.database.db, {
      iri: "https://spam.example/users/x",
      type: "Person",
      handle: "x@spam.example",
      inboxUrl: "https://spam.example/users/x/inbox",
      sharedInboxUrl: null,
      displayName: "x",
      url: null,
      raw: null,
    });
    await t.database.db.insert(follows).values({
      followerId: follower.id,
      followeeId: channel.value.id,
      activityIri: "https://spam.example/follows/1",
      status: "accepted",
    });
    const file = join(dir, "list.csv");
    writeFileSync(
      file,
      [
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
        "# from the admins' channel",
        "",
        "spam.example,suspend,false,false,Spam,false",
        "spam.example,silence,false,false,,false",
        "broken..example,suspend,false,false,,false",
        "calm.example,silence,false,false,,false",
      ].join("\n"),
    );
    const preview = await haven(["domain-block", "import", file]);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain("2 new, 0 changed, 0 removed");
    expect(preview.stdout).toContain("line 6: error:");
    expect(preview.stdout).toContain("line 5: duplicate:");
    expect(preview.stdout).toContain("nothing applied");
    expect((await blocks()).has("spam.example")).toBe(false);

    const applied = await haven(["domain-block", "import", file, "--apply"]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("applied: 2 new");
    expect(applied.stdout).toContain("purged spam.example (suspended): 1 follows");
    expect(
      await t.database.db.select().from(follows).where(eq(follows.followerId, follower.id)),
    ).toEqual([]);
    expect((await blocks()).get("spam.example")?.severity).toBe("suspend");
    expect((await blocks()).get("calm.example")?.severity).toBe("silence");

    const stdin = await haven(["domain-block", "import", "-", "--yes"], "stdin.example\n");
    expect(stdin.code).toBe(0);
    expect((await blocks()).get("stdin.example")?.severity).toBe("suspend");
  });

  test("import: a binary file is refused; a public suffix applies only with --confirm", async () => {
    const binary = join(dir, "photo.csv");
    writeFileSync(
      binary,
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0a, 0x75, 0x6b, 0x0a, 0xff, 0x00]),
    );
    const refused = await haven(["domain-block", "import", binary, "--apply"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/error: the list is not UTF-8 text/);
    expect((await blocks()).has("uk")).toBe(false);

    const file = join(dir, "wide.txt");
    writeFileSync(file, "narrow.example\nco.uk\n");
    const preview = await haven(["domain-block", "import", file]);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain("line 2: needs --confirm co.uk: co.uk is a public suffix");
    const unconfirmed = await haven(["domain-block", "import", file, "--apply"]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stdout).toContain("to apply, add: --confirm co.uk");
    expect((await blocks()).has("narrow.example")).toBe(false);
    expect((await blocks()).has("co.uk")).toBe(false);

    const confirmed = await haven([
      "domain-block",
      "import",
      file,
      "--apply",
      "--confirm",
      "co.uk",
      "--confirm",
      "unrelated.example",
    ]);
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toContain("line 2: confirmed: co.uk");
    expect((await blocks()).get("co.uk")?.severity).toBe("suspend");
    expect((await blocks()).get("narrow.example")?.severity).toBe("suspend");
  });

  test("export prints Mastodon's CSV; remove lifts a block", async () => {
    const res = await haven(["domain-block", "export"]);
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
    );
    expect(lines).toContain("evil.example,suspend,true,true,Harassment,true");
    expect(lines).toContain("spam.example,suspend,false,false,Spam,false");

    const removed = await haven(["domain-block", "remove", "calm.example"]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("unblocked calm.example");
    expect((await blocks()).has("calm.example")).toBe(false);
    const missing = await haven(["domain-block", "remove", "never.example"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("never.example is not blocked");
  });

  test("usage errors exit 64 with the usage text", async () => {
    const res = await haven(["domain-block", "frobnicate"]);
    expect(res.code).toBe(64);
    expect(res.stderr).toContain("domain-block add DOMAIN");
  });
});
