import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { follows, localActors, remoteActors } from "../../src/db/schema/index.ts";
import {
  applyImport,
  applyPolicyConsequences,
  blockDomain,
  exportCsv,
  listAuditLog,
  listDomainBlocks,
  type ModerationActor,
  previewImport,
} from "../../src/moderation/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
const admin: ModerationActor = { kind: "system" };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());
beforeEach(() => t.reset());

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(`expected success: ${result.error.message}`);
  return result.value;
}

let handleCounter = 0;
async function addFollowers(domain: string, accepted: number, pending: number) {
  const db = t.database.db;
  const [local] = await db
    .insert(localActors)
    .values({ handle: `member${handleCounter++}`, kind: "person" })
    .returning();
  for (let i = 0; i < accepted + pending; i++) {
    const [remote] = await db
      .insert(remoteActors)
      .values({
        iri: `https://${domain}/users/u${i}`,
        type: "Person",
        handle: `u${i}`,
        domain,
        inboxUrl: `https://${domain}/inbox`,
      })
      .returning();
    await db.insert(follows).values({
      followerId: remote!.id,
      followeeId: local!.id,
      activityIri: `https://${domain}/follows/${i}`,
      status: i < accepted ? "accepted" : "pending",
    });
  }
}

const EXPORT = [
  "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
  "spam.example,suspend,false,false,Spam,false",
  "quiet.example,silence,true,false,,false",
  "already.example,suspend,false,false,,false",
  "garbage domain,suspend,false,false,,false",
  "spam.example,silence,false,true,,false",
].join("\n");

async function counts() {
  const [row] = await queryRows<{ blocks: number; sources: number; audit: number }>(
    t.database.db,
    sql`SELECT (SELECT count(*)::int FROM domain_blocks) AS blocks,
               (SELECT count(*)::int FROM domain_block_sources) AS sources,
               (SELECT count(*)::int FROM moderation_audit_log) AS audit`,
  );
  return row!;
}

describe("CSV import", () => {
  test("preview shows changes and impact against real follows; nothing applies until confirmed", async () => {
    await addFollowers("spam.example", 3, 1);
    await addFollowers("cdn.spam.example", 1, 1);
    await addFollowers("quiet.example", 5, 0);
    await addFollowers("already.example", 2, 0);
    unwrap(
      await blockDomain(t.database.db, { domain: "already.example", severity: "suspend" }, admin),
    );
    unwrap(
      await blockDomain(t.database.db, { domain: "dropped.example", severity: "silence" }, admin),
    );
    const before = await counts();

    const preview = unwrap(await previewImport(t.database.db, EXPORT, { sourceName: "list.csv" }));
    expect(preview.format).toBe("mastodon_csv");
    expect(preview.errors).toEqual([
      { line: 5, message: expect.stringMatching(/"garbage domain" is not a valid domain/) },
    ]);
    expect(preview.duplicates).toEqual([
      { line: 6, message: expect.stringMatching(/already listed on line 2/) },
    ]);
    expect(
      preview.changes.new.map((e) => [e.domain, e.followersCut, e.pendingRequestsCut]),
    ).toEqual([
      ["spam.example", 4, 2],
      ["quiet.example", 0, 0],
    ]);
    expect(preview.changes.new[0]!.after).toMatchObject({
      severity: "suspend",
      rejectReports: true,
      privateComment: expect.stringMatching(/^Imported from list.csv on \d{4}-\d\d-\d\d$/),
    });
    expect(preview.changes.unchanged).toEqual(["already.example"]);
    expect(preview.changes.removed).toEqual([]);
    expect(preview.changes.totals).toMatchObject({ followersCut: 4, pendingRequestsCut: 2 });
    expect(preview.changes.newlySuspended).toEqual(["spam.example"]);
    expect(await counts()).toEqual(before);

    const applied = unwrap(await applyImport(t.database.db, preview.token, admin));
    expect(applied.newlySuspended).toEqual(["spam.example"]);
    const blocks = await listDomainBlocks(t.database.db);
    expect(blocks.map((b) => [b.domain, b.severity]).sort()).toEqual([
      ["already.example", "suspend"],
      ["dropped.example", "silence"],
      ["quiet.example", "silence"],
      ["spam.example", "suspend"],
    ]);
    const [log] = await listAuditLog(t.database.db, { action: "import.apply" });
    expect(log).toMatchObject({
      source: "import",
      details: { new: ["spam.example", "quiet.example"], followersCut: 4 },
    });
    // A preview is used once.
    expect(await applyImport(t.database.db, preview.token, admin)).toMatchObject({
      ok: false,
      error: { kind: "not_found" },
    });
  });

  test("replace mode also removes hand-made blocks the file lacks", async () => {
    unwrap(
      await blockDomain(t.database.db, { domain: "dropped.example", severity: "silence" }, admin),
    );
    const preview = unwrap(
      await previewImport(t.database.db, "kept.example\n", { mode: "replace" }),
    );
    expect(preview.format).toBe("plain");
    expect(preview.changes.removed.map((e) => e.domain)).toEqual(["dropped.example"]);
    unwrap(await applyImport(t.database.db, preview, admin));
    expect((await listDomainBlocks(t.database.db)).map((b) => b.domain)).toEqual(["kept.example"]);
  });

  test("applying is all-or-nothing", async () => {
    const preview = unwrap(await previewImport(t.database.db, EXPORT));
    const before = await counts();
    // Make the database itself refuse one of the rows, half-way through the apply.
    await t.database.db.execute(sql`
      CREATE FUNCTION refuse_quiet() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.domain = 'quiet.example' THEN RAISE EXCEPTION 'refused by test trigger'; END IF;
        RETURN NEW;
      END $$`);
    await t.database.db.execute(sql`
      CREATE TRIGGER refuse_quiet BEFORE INSERT ON domain_blocks
      FOR EACH ROW EXECUTE FUNCTION refuse_quiet()`);
    try {
      await expect(applyImport(t.database.db, preview.token, admin)).rejects.toThrow();
      expect(await counts()).toEqual(before);
    } finally {
      await t.database.db.execute(sql`DROP TRIGGER refuse_quiet ON domain_blocks`);
      await t.database.db.execute(sql`DROP FUNCTION refuse_quiet()`);
    }
    // The preview survived the rollback and still applies.
    unwrap(await applyImport(t.database.db, preview.token, admin));
    expect((await counts()).blocks).toBe(3);
  });

  test("a preview goes stale when policy changes, and expires", async () => {
    const stale = unwrap(await previewImport(t.database.db, "a.example\n"));
    unwrap(await blockDomain(t.database.db, { domain: "other.example" }, admin));
    expect(await applyImport(t.database.db, stale.token, admin)).toMatchObject({
      ok: false,
      error: { kind: "conflict" },
    });
    const old = unwrap(await previewImport(t.database.db, "b.example\n"));
    const later = new Date(Date.now() + 2 * 60 * 60 * 1000);
    expect(await applyImport(t.database.db, old.token, admin, { now: later })).toMatchObject({
      ok: false,
      error: { kind: "invalid" },
    });
  });

  test("export then import round-trips", async () => {
    const first = unwrap(await previewImport(t.database.db, EXPORT));
    unwrap(await applyImport(t.database.db, first.token, admin));
    const csv = await exportCsv(t.database.db);
    const again = unwrap(await previewImport(t.database.db, csv));
    expect(again.errors).toEqual([]);
    expect(again.changes.totals).toMatchObject({ new: 0, changed: 0, removed: 0, unchanged: 3 });
  });
});

describe("a large import", () => {
  const LARGE = 5_000;
  const SEVERITIES = ["suspend", "silence", "noop"] as const;
  const list = () =>
    [
      "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
      ...Array.from(
        { length: LARGE },
        (_, i) => `host${i}.big.example,${SEVERITIES[i % 3]},${i % 3 === 2},false,,false`,
      ),
    ].join("\n");

  test("5,000 entries over many transactions: all applied, one audit entry, follows purged", async () => {
    await addFollowers("host0.big.example", 2, 1);
    await addFollowers("host3.big.example", 1, 0);
    await addFollowers("host1.big.example", 1, 0); // silenced: keeps its follower
    const preview = unwrap(await previewImport(t.database.db, list()));
    expect(preview.changes.totals).toMatchObject({ new: LARGE, followersCut: 3 });
    const applied = unwrap(
      await applyImport(t.database.db, preview.token, admin, { chunkSize: 400 }),
    );
    expect(applied.newlySuspended).toHaveLength(Math.ceil(LARGE / 3));
    expect(await counts()).toEqual({ blocks: LARGE, sources: LARGE, audit: 1 });
    const [row] = await queryRows<{ severity: string; n: number }>(
      t.database.db,
      sql`SELECT count(*) FILTER (WHERE severity = 'suspend')::int AS n FROM domain_blocks`,
    );
    expect(row!.n).toBe(Math.ceil(LARGE / 3));

    const purged = await applyPolicyConsequences(t.database.db, applied, admin);
    expect(purged.map((p) => [p.target, p.removed.follows]).sort()).toEqual([
      ["host0.big.example", 3],
      ["host3.big.example", 1],
    ]);
    const left = await queryRows<{ domain: string }>(
      t.database.db,
      sql`SELECT ra.domain FROM follows f JOIN remote_actors ra ON ra.id = f.follower_id`,
    );
    expect(left).toEqual([{ domain: "host1.big.example" }]);
    // One entry for the import, one for the purge of all its suspensions.
    const audit = await listAuditLog(t.database.db, { limit: 200 });
    expect(audit.map((a) => a.action).sort()).toEqual(["domain_block.purge", "import.apply"]);
    const apply = audit.find((a) => a.action === "import.apply")!;
    expect((apply.details as { new: string[] }).new).toHaveLength(LARGE);
  });

  test("a failure in a late transaction undoes the earlier ones; the preview still applies", async () => {
    unwrap(
      await blockDomain(t.database.db, { domain: "host7.big.example", severity: "suspend" }, admin),
    );
    const preview = unwrap(await previewImport(t.database.db, list()));
    const before = await counts();
    const rules = async () =>
      (await listDomainBlocks(t.database.db)).map((b) => [b.domain, b.severity]);
    const beforeRules = await rules();
    expect(preview.changes.changed.map((e) => e.domain)).toEqual(["host7.big.example"]);
    await t.database.db.execute(sql`
      CREATE FUNCTION refuse_late() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.domain = 'host4321.big.example' THEN RAISE EXCEPTION 'refused by test trigger'; END IF;
        RETURN NEW;
      END $$`);
    await t.database.db.execute(sql`
      CREATE TRIGGER refuse_late BEFORE INSERT ON domain_blocks
      FOR EACH ROW EXECUTE FUNCTION refuse_late()`);
    try {
      await expect(
        applyImport(t.database.db, preview.token, admin, { chunkSize: 400 }),
      ).rejects.toThrow();
      expect(await counts()).toEqual(before);
      // The hand-made block the import changed (suspend → silence) is as it was.
      expect(await rules()).toEqual(beforeRules);
    } finally {
      await t.database.db.execute(sql`DROP TRIGGER refuse_late ON domain_blocks`);
      await t.database.db.execute(sql`DROP FUNCTION refuse_late()`);
    }
    unwrap(await applyImport(t.database.db, preview.token, admin, { chunkSize: 400 }));
    expect((await counts()).blocks).toBe(LARGE);
  });
});
