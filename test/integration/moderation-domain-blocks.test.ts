import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { follows, localActors, remoteActors } from "../../src/db/schema/index.ts";
import {
  allowDomain,
  blockAccount,
  blockDomain,
  createFederationPolicy,
  exportCsv,
  type FederationPolicy,
  findDomainBlockFor,
  listAuditLog,
  listDomainBlocks,
  listPublicDomainBlocks,
  type ModerationActor,
  previewBlockDomain,
  purgeSuspendedDomain,
  setAllowlistMode,
  toMastodonExistingDomainBlockError,
  unallowDomain,
  unblockAccount,
  unblockDomain,
  updateDomainBlock,
} from "../../src/moderation/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
let policy: FederationPolicy;
const admin: ModerationActor = { kind: "system" };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());
beforeEach(async () => {
  await t.reset();
  policy = createFederationPolicy({ db: t.database.db, localDomain: "haven.example:8443" });
});

async function decide(host: string) {
  policy.invalidate();
  return policy.decideForDomain(host);
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(`expected success: ${result.error.message}`);
  return result.value;
}

async function addFollowers(domain: string, accepted: number, pending: number) {
  const db = t.database.db;
  const [local] = await db
    .insert(localActors)
    .values({ handle: `local_${domain.replace(/\W/g, "_")}`.slice(0, 30), kind: "person" })
    .returning();
  for (let i = 0; i < accepted + pending; i++) {
    const [remote] = await db
      .insert(remoteActors)
      .values({
        iri: `https://${domain}/users/u${i}`,
        type: "Person",
        handle: `u${i}`,
        domain,
        inboxUrl: `https://${domain}/users/u${i}/inbox`,
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

describe("domain blocks and the policy", () => {
  test("a suspension rejects the domain and its subdomains, not look-alikes", async () => {
    unwrap(
      await blockDomain(t.database.db, { domain: "EXAMPLE.com.", severity: "suspend" }, admin),
    );
    for (const host of [
      "example.com",
      "social.example.com",
      "a.b.example.com:8080",
      "EXAMPLE.COM.",
    ]) {
      expect(await decide(host)).toMatchObject({
        action: "reject",
        reason: "domain_block",
        matched: "example.com",
      });
    }
    for (const host of ["notexample.com", "example.com.evil.org", "example.co"]) {
      expect(await decide(host)).toMatchObject({ action: "accept", reason: "no_rule" });
    }
    expect(await policy.decideForActor("https://social.example.com/users/bob")).toMatchObject({
      action: "reject",
    });
    expect(await decide("haven.example")).toMatchObject({
      action: "accept",
      reason: "local_domain",
    });
  });

  test("silence and noop with flags; the harshest covering block wins", async () => {
    unwrap(
      await blockDomain(t.database.db, { domain: "quiet.example", severity: "silence" }, admin),
    );
    unwrap(
      await blockDomain(
        t.database.db,
        { domain: "media.example", severity: "noop", rejectMedia: true },
        admin,
      ),
    );
    expect(await decide("quiet.example")).toEqual({
      action: "silence",
      rejectMedia: false,
      rejectReports: false,
      reason: "domain_block",
      matched: "quiet.example",
    });
    expect(await decide("cdn.media.example")).toMatchObject({
      action: "accept",
      rejectMedia: true,
      reason: "domain_block",
    });
    // A stricter subdomain block may be created under a parent (Mastodon's rule).
    unwrap(
      await blockDomain(
        t.database.db,
        { domain: "worse.quiet.example", severity: "suspend" },
        admin,
      ),
    );
    expect(await decide("x.worse.quiet.example")).toMatchObject({
      action: "reject",
      matched: "worse.quiet.example",
    });
  });

  test("creating a block that exists or is covered as strictly is refused like Mastodon", async () => {
    const created = unwrap(
      await blockDomain(t.database.db, { domain: "example.com", severity: "suspend" }, admin),
    );
    const again = await blockDomain(
      t.database.db,
      { domain: "Example.com", severity: "suspend" },
      admin,
    );
    expect(again.ok).toBe(false);
    if (!again.ok) {
      expect(again.error.kind).toBe("unprocessable");
      expect(again.error.existing?.id).toBe(created.domainBlock!.id);
      expect(toMastodonExistingDomainBlockError(again.error.existing!).error).toBe(
        "You have already imposed stricter limits on example.com.",
      );
    }
    const milder = await blockDomain(t.database.db, { domain: "sub.example.com" }, admin);
    expect(milder.ok).toBe(false);
    const invalid = await blockDomain(t.database.db, { domain: "not a domain" }, admin);
    expect(invalid).toMatchObject({ ok: false, error: { kind: "invalid" } });
  });

  test("update and unblock; unblocking what is not blocked is not_found", async () => {
    const { domainBlock } = unwrap(
      await blockDomain(t.database.db, { domain: "example.com", publicComment: "spam" }, admin),
    );
    expect(domainBlock).toMatchObject({ severity: "silence", publicComment: "spam" });
    const updated = unwrap(
      await updateDomainBlock(t.database.db, domainBlock!.id, { severity: "suspend" }, admin),
    );
    expect(updated.domainBlock).toMatchObject({
      id: domainBlock!.id,
      severity: "suspend",
      publicComment: "spam",
    });
    expect(updated.newlySuspended).toEqual(["example.com"]);
    expect(await decide("example.com")).toMatchObject({ action: "reject" });
    const removed = unwrap(await unblockDomain(t.database.db, { id: domainBlock!.id }, admin));
    expect(removed).toMatchObject({ domainBlock: null, stillListedBy: [] });
    expect(await decide("example.com")).toMatchObject({ action: "accept" });
    expect(await unblockDomain(t.database.db, { domain: "example.com" }, admin)).toMatchObject({
      ok: false,
      error: { kind: "not_found" },
    });
    expect(await updateDomainBlock(t.database.db, 999_999, {}, admin)).toMatchObject({
      ok: false,
      error: { kind: "not_found" },
    });
  });

  test("preview counts the follows a single block would cut", async () => {
    await addFollowers("social.example.com", 3, 2);
    await addFollowers("example.org", 4, 0);
    const preview = unwrap(
      await previewBlockDomain(t.database.db, { domain: "example.com", severity: "suspend" }),
    );
    expect(preview.new).toEqual([
      expect.objectContaining({ domain: "example.com", followersCut: 3, pendingRequestsCut: 2 }),
    ]);
    expect(preview.newlySuspended).toEqual(["example.com"]);
    const silence = unwrap(
      await previewBlockDomain(t.database.db, { domain: "example.com", severity: "silence" }),
    );
    expect(silence.totals).toMatchObject({ followersCut: 0, pendingRequestsCut: 0 });
    expect(await listDomainBlocks(t.database.db)).toEqual([]);
  });

  test("purgeSuspendedDomain removes follows from the domain and its subdomains only", async () => {
    await addFollowers("social.example.com", 2, 1);
    await addFollowers("notexample.com", 1, 0);
    expect(await purgeSuspendedDomain(t.database.db, "example.com")).toMatchObject({
      ok: false,
      error: { kind: "invalid" },
    });
    unwrap(await blockDomain(t.database.db, { domain: "example.com", severity: "suspend" }, admin));
    expect(unwrap(await purgeSuspendedDomain(t.database.db, "example.com"))).toEqual({
      // Every registered purger reports, the interaction tables (src/comments) with 0 here.
      removed: { follows: 3, video_comments: 0, video_reactions: 0, remote_reports: 0 },
    });
    const left = await queryRows<{ domain: string }>(
      t.database.db,
      sql`SELECT ra.domain FROM follows f JOIN remote_actors ra ON ra.id = f.follower_id`,
    );
    expect(left).toEqual([{ domain: "notexample.com" }]);
    const [log] = await listAuditLog(t.database.db, { action: "domain_block.purge" });
    expect(log).toMatchObject({ target: "example.com", details: { removed: { follows: 3 } } });
  });
});

describe("allowlist mode", () => {
  test("only allowed domains (and subdomains) federate; blocks still apply; we always do", async () => {
    unwrap(await allowDomain(t.database.db, { domain: "friends.example" }, admin));
    unwrap(await allowDomain(t.database.db, { domain: "bad.friends.example" }, admin));
    unwrap(
      await blockDomain(
        t.database.db,
        { domain: "bad.friends.example", severity: "suspend" },
        admin,
      ),
    );
    expect(await decide("stranger.example")).toMatchObject({ action: "accept" });
    unwrap(await setAllowlistMode(t.database.db, true, admin));
    expect(await decide("stranger.example")).toMatchObject({
      action: "reject",
      reason: "not_allowlisted",
    });
    expect(await decide("friends.example")).toMatchObject({ action: "accept" });
    expect(await decide("video.friends.example")).toMatchObject({ action: "accept" });
    expect(await decide("bad.friends.example")).toMatchObject({
      action: "reject",
      reason: "domain_block",
    });
    expect(await decide("haven.example")).toMatchObject({
      action: "accept",
      reason: "local_domain",
    });
    // Allowing twice returns the existing entry, like Mastodon.
    const again = unwrap(await allowDomain(t.database.db, { domain: "FRIENDS.example." }, admin));
    expect(again.created).toBe(false);
    unwrap(await unallowDomain(t.database.db, { domain: "friends.example" }, admin));
    expect(await decide("friends.example")).toMatchObject({ action: "reject" });
    unwrap(await setAllowlistMode(t.database.db, false, admin));
    expect(await decide("stranger.example")).toMatchObject({ action: "accept" });
  });
});

describe("account blocks", () => {
  test("a blocked actor is rejected; others on its domain are not", async () => {
    unwrap(
      await blockAccount(
        t.database.db,
        { actorIri: "https://Social.Example/users/troll#main-key" },
        admin,
      ),
    );
    expect(await policy.decideForActor("https://social.example/users/troll")).toMatchObject({
      action: "reject",
      reason: "account_block",
    });
    policy.invalidate();
    expect(await policy.decideForActor("https://social.example/users/friend")).toMatchObject({
      action: "accept",
    });
    expect(await policy.decideForActor("not an iri")).toMatchObject({
      action: "reject",
      reason: "invalid_host",
    });
    unwrap(
      await unblockAccount(
        t.database.db,
        { actorIri: "https://social.example/users/troll" },
        admin,
      ),
    );
    policy.invalidate();
    expect(await policy.decideForActor("https://social.example/users/troll")).toMatchObject({
      action: "accept",
    });
    expect(
      await blockAccount(t.database.db, { actorIri: "ftp://x.example/u" }, admin),
    ).toMatchObject({
      ok: false,
      error: { kind: "invalid" },
    });
  });
});

describe("listing, export and the audit log", () => {
  test("public list hides noop, obfuscates; export uses Mastodon's format", async () => {
    unwrap(
      await blockDomain(
        t.database.db,
        { domain: "example.com", severity: "suspend", obfuscate: true, publicComment: "a, b" },
        admin,
      ),
    );
    unwrap(
      await blockDomain(t.database.db, { domain: "quiet.example", severity: "silence" }, admin),
    );
    unwrap(await blockDomain(t.database.db, { domain: "noted.example", severity: "noop" }, admin));
    expect((await listPublicDomainBlocks(t.database.db)).map((b) => b.domain)).toEqual([
      "quiet.example",
      "example.com",
    ]);
    expect(await exportCsv(t.database.db)).toBe(
      [
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
        'example.com,suspend,false,false,"a, b",true',
        "quiet.example,silence,false,false,,false",
        "",
      ].join("\n"),
    );
    expect((await findDomainBlockFor(t.database.db, "a.example.com"))?.domain).toBe("example.com");
    const log = await listAuditLog(t.database.db);
    expect(log.map((l) => [l.action, l.target, l.actor, l.source])).toEqual([
      ["domain_block.create", "noted.example", "system", "manual"],
      ["domain_block.create", "quiet.example", "system", "manual"],
      ["domain_block.create", "example.com", "system", "manual"],
    ]);
    const page = await listDomainBlocks(t.database.db, { limit: 2 });
    expect(page.map((b) => b.domain)).toEqual(["noted.example", "quiet.example"]);
    const next = await listDomainBlocks(t.database.db, { limit: 2, maxId: page[1]!.id });
    expect(next.map((b) => b.domain)).toEqual(["example.com"]);
  });
});
