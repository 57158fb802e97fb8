import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { remoteActors } from "../../src/db/schema/index.ts";
import {
  addExclusion,
  approveDraft,
  blockDomain,
  createFederationPolicy,
  createSubscription,
  deleteSubscription,
  domainDigest,
  type FetchText,
  getSubscription,
  listAuditLog,
  listDomainBlocks,
  listDrafts,
  type ModerationActor,
  previewSubscriptionUrl,
  rejectDraft,
  setCombinationPolicy,
  syncDueSubscriptions,
  syncSubscription,
  updateSubscription,
} from "../../src/moderation/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

let t: TestDatabase;
const admin: ModerationActor = { kind: "system" };
const LOCAL = "haven.example";

/** A canned web: URL → body, or an error string for an unreachable URL. */
let web: Map<string, string | { error: string } | { throws: string }>;
const fetchText: FetchText = async (url) => {
  const page = web.get(url);
  if (page === undefined) return { ok: false, error: `404 Not Found: ${url}` };
  if (typeof page === "string") {
    return {
      ok: true,
      text: page,
      contentType: url.endsWith(".json") ? "application/json" : "text/csv",
    };
  }
  if ("throws" in page) throw new Error(page.throws);
  return { ok: false, error: page.error };
};
const deps = { fetchText, localDomain: LOCAL };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());
beforeEach(async () => {
  await t.reset();
  web = new Map();
});

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) throw new Error(`expected success: ${result.error.message}`);
  return result.value;
}

const csv = (...rows: string[]) =>
  ["#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate", ...rows].join(
    "\n",
  );

async function subscribe(
  url: string,
  options: Parameters<typeof createSubscription>[1] extends infer I ? Partial<I> : never = {},
) {
  return unwrap(await createSubscription(t.database.db, { url, ...options }, admin));
}

async function blocked(): Promise<Record<string, string>> {
  const rows = await listDomainBlocks(t.database.db, { limit: 200 });
  return Object.fromEntries(rows.map((r) => [r.domain, r.severity]));
}

describe("subscription sync", () => {
  test("initial list applies; a dropped entry is lifted only when nobody else names it", async () => {
    web.set(
      "https://a.example/list.csv",
      csv(
        "spam.example,suspend,false,false,spam,false",
        "shared.example,silence,false,false,,false",
        "manual.example,silence,false,false,,false",
      ),
    );
    web.set("https://b.example/list.txt", "shared.example\n");
    const a = await subscribe("https://a.example/list.csv", { title: "List A" });
    const b = await subscribe("https://b.example/list.txt", { format: "plain" });
    unwrap(await blockDomain(t.database.db, { domain: "manual.example", severity: "noop" }, admin));

    const first = unwrap(await syncSubscription(t.database.db, a.id, deps));
    expect(first.status).toBe("synced");
    expect(first.changes?.new.map((e) => e.domain)).toEqual([
      "spam.example",
      "shared.example",
      "manual.example",
    ]);
    unwrap(await syncSubscription(t.database.db, b.id, deps));
    // Manual intent wins over the list for manual.example (noop, not silence).
    expect(await blocked()).toEqual({
      "spam.example": "suspend",
      "shared.example": "suspend", // harshest: list B's plain entry means suspend
      "manual.example": "noop",
    });
    const policy = createFederationPolicy({ db: t.database.db, localDomain: LOCAL });
    expect(await policy.decideForDomain("x.spam.example")).toMatchObject({ action: "reject" });

    web.set("https://a.example/list.csv", csv("other.example,suspend,false,false,,false"));
    const second = unwrap(await syncSubscription(t.database.db, a.id, deps));
    expect(second.changes?.removed.map((e) => e.domain).sort()).toEqual([
      "manual.example",
      "shared.example",
      "spam.example",
    ]);
    expect(await blocked()).toEqual({
      "other.example": "suspend",
      "shared.example": "suspend", // list B still names it
      "manual.example": "noop", // the admin's block stays
    });
    policy.invalidate();
    expect(await policy.decideForDomain("spam.example")).toMatchObject({ action: "accept" });

    const [log] = await listAuditLog(t.database.db, { action: "subscription.sync" });
    expect(log).toMatchObject({
      actor: `subscription:${a.id}`,
      source: "subscription",
      target: "https://a.example/list.csv",
      details: { new: ["other.example"] },
    });

    // Deleting list B lifts what only it claimed.
    unwrap(await deleteSubscription(t.database.db, b.id, admin));
    expect(await blocked()).toEqual({ "other.example": "suspend", "manual.example": "noop" });
  });

  test("an unreachable or unusable list keeps the last good one and records the error", async () => {
    web.set("https://a.example/list.csv", csv("spam.example,suspend,false,false,,false"));
    const a = await subscribe("https://a.example/list.csv");
    const now = new Date("2030-01-01T00:00:00Z");
    unwrap(await syncSubscription(t.database.db, a.id, { ...deps, now: () => now }));

    web.set("https://a.example/list.csv", { error: "connect ECONNREFUSED" });
    const later = new Date("2030-01-02T00:00:00Z");
    const failed = unwrap(
      await syncSubscription(t.database.db, a.id, { ...deps, now: () => later }),
    );
    expect(failed).toMatchObject({ status: "fetch_failed", error: "connect ECONNREFUSED" });
    expect(await blocked()).toEqual({ "spam.example": "suspend" });
    expect(await getSubscription(t.database.db, a.id)).toMatchObject({
      lastError: "connect ECONNREFUSED",
      lastErrorAt: later,
      lastSuccessAt: now,
    });

    web.set("https://a.example/list.csv", { throws: "socket hang up" });
    expect(unwrap(await syncSubscription(t.database.db, a.id, deps))).toMatchObject({
      status: "fetch_failed",
      error: "socket hang up",
    });
    web.set("https://a.example/list.csv", "#domain,#severity\n\n# nothing here\n");
    expect(unwrap(await syncSubscription(t.database.db, a.id, deps))).toMatchObject({
      status: "parse_failed",
      error: expect.stringMatching(/no usable entries/),
    });
    expect(await blocked()).toEqual({ "spam.example": "suspend" });
    const [failure] = await listAuditLog(t.database.db, { action: "subscription.sync_failed" });
    expect(failure).toMatchObject({ details: { status: "parse_failed" } });

    // Recovery clears the error; an identical body is recognised as unchanged.
    web.set("https://a.example/list.csv", csv("spam.example,suspend,false,false,,false"));
    expect(unwrap(await syncSubscription(t.database.db, a.id, deps)).status).toBe("unchanged");
    expect(await getSubscription(t.database.db, a.id)).toMatchObject({ lastError: null });
  });

  test("a list naming our own domain (or a parent of it) is ignored for that entry and reported", async () => {
    web.set("https://a.example/list.txt", "haven.example\nexample\nspam.example\n");
    const a = await subscribe("https://a.example/list.txt");
    const report = unwrap(await syncSubscription(t.database.db, a.id, deps));
    expect(report.ignored).toEqual([
      { line: 1, domain: "haven.example", reason: "names this instance's own domain" },
      { line: 2, domain: "example", reason: "would block this instance's own domain" },
    ]);
    expect(await blocked()).toEqual({ "spam.example": "suspend" });
  });

  test("review mode drafts new entries; approve applies, reject sticks", async () => {
    web.set(
      "https://a.example/list.csv",
      csv("spam.example,suspend,false,false,,false", "maybe.example,silence,false,false,,false"),
    );
    const a = await subscribe("https://a.example/list.csv", { reviewMode: true });
    const report = unwrap(await syncSubscription(t.database.db, a.id, deps));
    expect(report.drafted).toEqual(["spam.example", "maybe.example"]);
    expect(await blocked()).toEqual({});
    const drafts = await listDrafts(t.database.db);
    expect(drafts.map((d) => [d.domain, d.severity])).toEqual([
      ["maybe.example", "silence"],
      ["spam.example", "suspend"],
    ]);
    unwrap(
      await approveDraft(t.database.db, drafts.find((d) => d.domain === "spam.example")!.id, admin),
    );
    unwrap(
      await rejectDraft(t.database.db, drafts.find((d) => d.domain === "maybe.example")!.id, admin),
    );
    expect(await blocked()).toEqual({ "spam.example": "suspend" });

    // Same list again (forced): nothing new to review, the rejection stands.
    unwrap(await syncSubscription(t.database.db, a.id, deps, { force: true }));
    expect(await listDrafts(t.database.db)).toEqual([]);
    expect((await listDrafts(t.database.db, { status: "rejected" })).map((d) => d.domain)).toEqual([
      "maybe.example",
    ]);
    // The list drops the approved entry: lifted without review; the moot draft goes.
    web.set("https://a.example/list.csv", csv("new.example,suspend,false,false,,false"));
    const next = unwrap(await syncSubscription(t.database.db, a.id, deps));
    expect(next.changes?.removed.map((e) => e.domain)).toEqual(["spam.example"]);
    expect(await blocked()).toEqual({});
    expect((await listDrafts(t.database.db)).map((d) => d.domain)).toEqual(["new.example"]);
    expect(await listDrafts(t.database.db, { status: "rejected" })).toEqual([]);
  });

  test("threshold policy blocks only what enough lists name", async () => {
    web.set("https://a.example/1.txt", "both.example\nonly-a.example\n");
    web.set("https://b.example/2.txt", "both.example\nonly-b.example\n");
    const a = await subscribe("https://a.example/1.txt");
    const b = await subscribe("https://b.example/2.txt");
    unwrap(await setCombinationPolicy(t.database.db, { kind: "threshold", threshold: 2 }, admin));
    unwrap(await syncSubscription(t.database.db, a.id, deps));
    expect(await blocked()).toEqual({});
    unwrap(await syncSubscription(t.database.db, b.id, deps));
    expect(await blocked()).toEqual({ "both.example": "suspend" });
    const back = unwrap(await setCombinationPolicy(t.database.db, { kind: "harshest" }, admin));
    expect(back.newlySuspended.sort()).toEqual(["only-a.example", "only-b.example"]);
    expect(Object.keys(await blocked()).sort()).toEqual([
      "both.example",
      "only-a.example",
      "only-b.example",
    ]);
    // Disabling a list lifts what only it named.
    unwrap(await updateSubscription(t.database.db, a.id, { enabled: false }, admin));
    expect(Object.keys(await blocked()).sort()).toEqual(["both.example", "only-b.example"]);
    expect(
      await setCombinationPolicy(t.database.db, { kind: "threshold", threshold: 0 }, admin),
    ).toMatchObject({ ok: false, error: { kind: "invalid" } });
  });

  test("exclusions keep a domain and its subdomains out of every list", async () => {
    web.set("https://a.example/list.txt", "friend.example\nsub.friend.example\nspam.example\n");
    const a = await subscribe("https://a.example/list.txt");
    unwrap(await syncSubscription(t.database.db, a.id, deps));
    expect(Object.keys(await blocked()).sort()).toEqual([
      "friend.example",
      "spam.example",
      "sub.friend.example",
    ]);
    const added = unwrap(await addExclusion(t.database.db, { domain: "Friend.Example" }, admin));
    expect(added.plan.effectiveChanges.map((c) => c.domain).sort()).toEqual([
      "friend.example",
      "sub.friend.example",
    ]);
    expect(await blocked()).toEqual({ "spam.example": "suspend" });
    const report = unwrap(await syncSubscription(t.database.db, a.id, deps, { force: true }));
    expect(report.excluded).toEqual(["friend.example", "sub.friend.example"]);
    expect(await blocked()).toEqual({ "spam.example": "suspend" });
  });

  test("Mastodon API JSON: obfuscated entries resolve by digest when we know the domain", async () => {
    await t.database.db.insert(remoteActors).values({
      iri: "https://hidden.example/users/x",
      type: "Person",
      handle: "x",
      domain: "hidden.example",
      inboxUrl: "https://hidden.example/inbox",
    });
    web.set(
      "https://peer.example/api/v1/instance/domain_blocks.json",
      JSON.stringify([
        {
          domain: "spam.example",
          digest: domainDigest("spam.example"),
          severity: "silence",
          comment: "spam",
        },
        {
          domain: "hid***.*xample",
          digest: domainDigest("hidden.example"),
          severity: "suspend",
          comment: null,
        },
        {
          domain: "unk****.com",
          digest: domainDigest("unknown.com"),
          severity: "suspend",
          comment: null,
        },
      ]),
    );
    const url = "https://peer.example/api/v1/instance/domain_blocks.json";
    const preview = unwrap(await previewSubscriptionUrl(t.database.db, { url }, deps));
    expect(preview.changes?.new.map((e) => e.domain)).toEqual(["spam.example", "hidden.example"]);
    expect(await blocked()).toEqual({});
    const sub = await subscribe(url, { format: "mastodon_json" });
    const report = unwrap(await syncSubscription(t.database.db, sub.id, deps));
    expect(report.ignored).toEqual([
      {
        line: 3,
        domain: "unk****.com",
        reason: "obfuscated, and its digest matches no domain known here",
      },
    ]);
    expect(await blocked()).toEqual({ "spam.example": "silence", "hidden.example": "suspend" });
  });

  test("syncDueSubscriptions runs enabled lists whose interval has passed", async () => {
    web.set("https://a.example/list.txt", "a-spam.example\n");
    web.set("https://b.example/list.txt", "b-spam.example\n");
    const a = await subscribe("https://a.example/list.txt", {
      syncIntervalSeconds: 3600,
      priority: 10,
    });
    const b = await subscribe("https://b.example/list.txt", {
      syncIntervalSeconds: 3600,
      priority: 200,
    });
    await subscribe("https://c.example/off.txt", { enabled: false });
    const t0 = new Date("2030-01-01T00:00:00Z");
    const first = await syncDueSubscriptions(t.database.db, t0, deps);
    expect(first.map((r) => r.subscriptionId)).toEqual([b.id, a.id]);
    const soon = new Date(t0.getTime() + 60_000);
    expect(await syncDueSubscriptions(t.database.db, soon, deps)).toEqual([]);
    const hourLater = new Date(t0.getTime() + 3_600_000);
    const again = await syncDueSubscriptions(t.database.db, hourLater, deps);
    expect(again.map((r) => [r.subscriptionId, r.status])).toEqual([
      [b.id, "unchanged"],
      [a.id, "unchanged"],
    ]);
  });

  test("subscriptions validate their input", async () => {
    expect(
      await createSubscription(t.database.db, { url: "ftp://x.example/l" }, admin),
    ).toMatchObject({
      ok: false,
      error: { kind: "invalid" },
    });
    await subscribe("https://a.example/list.txt");
    expect(
      await createSubscription(t.database.db, { url: "https://a.example/list.txt" }, admin),
    ).toMatchObject({
      ok: false,
      error: { kind: "conflict" },
    });
    expect(
      await createSubscription(t.database.db, { url: "https://b.example/", priority: 300 }, admin),
    ).toMatchObject({
      ok: false,
      error: { kind: "invalid" },
    });
  });
});
