/**
 * The admin API over HTTP against a real Haven and PostgreSQL: Mastodon's
 * domain_blocks / domain_allows / measures exactly as Mastodon answers them
 * (fields, types, statuses, paging), a replay of FediBlockHole's push, the
 * public list, and Haven's own endpoints (import, settings, account blocks,
 * exclusions, audit log).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { blockDomain, type ModerationActor } from "../../src/moderation/index.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

let t: TestDatabase;
let haven: TestHaven;
let admin: string;
let member: string;
const SYSTEM: ModerationActor = { kind: "system" };

interface Res {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  body: any;
  text: string;
}

async function call(
  method: string,
  path: string,
  options: {
    token?: string | null;
    json?: unknown;
    form?: Record<string, string>;
    body?: BodyInit;
    headers?: Record<string, string>;
  } = {},
): Promise<Res> {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? admin : options.token;
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let body = options.body;
  if (options.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = new URLSearchParams(options.form);
  }
  const res = await fetch(`${haven.origin}${path}`, { method, headers, body: body ?? null });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed, text };
}

const ADMIN_DOMAIN_BLOCK_KEYS = [
  "created_at",
  "digest",
  "domain",
  "id",
  "obfuscate",
  "private_comment",
  "public_comment",
  "reject_media",
  "reject_reports",
  "severity",
];

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  ({ token: admin } = await haven.createUser("ada", { admin: true }));
  ({ token: member } = await haven.createUser("mel"));
});
afterAll(async () => {
  await haven?.close();
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("authentication (Mastodon's statuses)", () => {
  test("no token or a bad one → 401; a member's token → 403; nothing changes", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/admin/domain_blocks"],
      ["POST", "/api/v1/admin/domain_blocks"],
      ["GET", "/api/v1/admin/domain_allows"],
      ["POST", "/api/v1/admin/measures"],
      ["GET", "/api/v1/admin/audit_log"],
      ["PATCH", "/api/v1/admin/federation_settings"],
    ] as const) {
      const json = method === "GET" ? undefined : { domain: "nope.example" };
      const none = await call(method, path, { token: null, json });
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.body.error).toBeTypeOf("string");
      expect((await call(method, path, { token: "not-a-token", json })).status).toBe(401);
      const forbidden = await call(method, path, { token: member, json });
      expect(forbidden.status, `${method} ${path}`).toBe(403);
      expect(forbidden.body.error).toBeTypeOf("string");
    }
    const list = await call("GET", "/api/v1/admin/domain_blocks");
    expect(list.body.map((b: { domain: string }) => b.domain)).not.toContain("nope.example");
  });
});

describe("POST/GET/PUT/DELETE /api/v1/admin/domain_blocks", () => {
  test("create from JSON: 200 and Mastodon's admin serializer, field by field", async () => {
    const res = await call("POST", "/api/v1/admin/domain_blocks", {
      json: {
        domain: "Evil.Example.",
        severity: "suspend",
        reject_media: true,
        public_comment: "Harassment",
        private_comment: "report #12",
        obfuscate: true,
      },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(ADMIN_DOMAIN_BLOCK_KEYS);
    expect(res.body).toMatchObject({
      domain: "evil.example",
      severity: "suspend",
      reject_media: true,
      reject_reports: false,
      public_comment: "Harassment",
      private_comment: "report #12",
      obfuscate: true,
    });
    expect(res.body.id).toMatch(/^\d+$/);
    expect(res.body.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(res.body.created_at).toISOString()).toBe(res.body.created_at);

    const shown = await call("GET", `/api/v1/admin/domain_blocks/${res.body.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual(res.body);
  });

  test("create from a form and from multipart; Mastodon's defaults (silence, false, null)", async () => {
    const form = await call("POST", "/api/v1/admin/domain_blocks", {
      form: { domain: "form.example", reject_reports: "1" },
    });
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({
      domain: "form.example",
      severity: "silence",
      reject_media: false,
      reject_reports: true,
      private_comment: null,
      public_comment: null,
      obfuscate: false,
    });
    const data = new FormData();
    data.set("domain", "multipart.example");
    data.set("severity", "noop");
    data.set("reject_media", "true");
    const multi = await call("POST", "/api/v1/admin/domain_blocks", { body: data });
    expect(multi.status).toBe(200);
    expect(multi.body).toMatchObject({
      domain: "multipart.example",
      severity: "noop",
      reject_media: true,
    });
  });

  test("422: blank domain, bad severity, and an equal or stricter block (existing_domain_block)", async () => {
    const blank = await call("POST", "/api/v1/admin/domain_blocks", {
      json: { severity: "suspend" },
    });
    expect(blank.status).toBe(422);
    expect(blank.body).toEqual({ error: "Validation failed: Domain can't be blank" });
    const bad = await call("POST", "/api/v1/admin/domain_blocks", {
      json: { domain: "x.example", severity: "banana" },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/^Validation failed: /);

    await call("POST", "/api/v1/admin/domain_blocks", {
      json: { domain: "parent.example", severity: "suspend" },
    });
    for (const domain of ["parent.example", "sub.parent.example"]) {
      const res = await call("POST", "/api/v1/admin/domain_blocks", {
        json: { domain, severity: "silence" },
      });
      expect(res.status).toBe(422);
      expect(res.body.error).toBe("You have already imposed stricter limits on parent.example.");
      expect(Object.keys(res.body.existing_domain_block).sort()).toEqual(ADMIN_DOMAIN_BLOCK_KEYS);
      expect(res.body.existing_domain_block).toMatchObject({
        domain: "parent.example",
        severity: "suspend",
      });
    }
  });

  test("PUT changes only what it is given (domain ignored); unknown ids → 404 Record not found", async () => {
    const created = await call("POST", "/api/v1/admin/domain_blocks", {
      json: { domain: "update.example", severity: "silence", public_comment: "keep me" },
    });
    const res = await call("PUT", `/api/v1/admin/domain_blocks/${created.body.id}`, {
      json: { domain: "elsewhere.example", severity: "suspend", reject_media: "true" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: created.body.id,
      domain: "update.example",
      severity: "suspend",
      reject_media: true,
      public_comment: "keep me",
    });
    for (const id of ["999999", "abc"]) {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const missing = await call(method, `/api/v1/admin/domain_blocks/${id}`, {
          ...(method === "PUT" ? { json: { severity: "noop" } } : {}),
        });
        expect(missing.status, `${method} ${id}`).toBe(404);
        expect(missing.body).toEqual({ error: "Record not found" });
      }
    }
  });

  test("DELETE answers 200 {} and the block is gone", async () => {
    const created = await call("POST", "/api/v1/admin/domain_blocks", {
      json: { domain: "gone.example" },
    });
    const res = await call("DELETE", `/api/v1/admin/domain_blocks/${created.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    expect((await call("GET", `/api/v1/admin/domain_blocks/${created.body.id}`)).status).toBe(404);
  });

  test("paging: newest first, limit, Link next (max_id) then prev (min_id), min_id pages forward", async () => {
    const ids: number[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const res = await call("POST", "/api/v1/admin/domain_blocks", {
        json: { domain: `page${n}.example` },
      });
      ids.push(Number(res.body.id));
    }
    const base = `${haven.origin}/api/v1/admin/domain_blocks`;
    const first = await call("GET", "/api/v1/admin/domain_blocks?limit=2");
    expect(first.body.map((b: { id: string }) => Number(b.id))).toEqual([ids[4], ids[3]]);
    expect(first.headers.get("link")).toBe(
      `<${base}?limit=2&max_id=${ids[3]}>; rel="next", <${base}?limit=2&min_id=${ids[4]}>; rel="prev"`,
    );
    const next = await call("GET", `/api/v1/admin/domain_blocks?limit=2&max_id=${ids[3]}`);
    expect(next.body.map((b: { id: string }) => Number(b.id))).toEqual([ids[2], ids[1]]);
    const forward = await call("GET", `/api/v1/admin/domain_blocks?limit=2&min_id=${ids[1]}`);
    expect(forward.body.map((b: { id: string }) => Number(b.id))).toEqual([ids[3], ids[2]]);
    const since = await call("GET", `/api/v1/admin/domain_blocks?since_id=${ids[3]}`);
    expect(since.body.map((b: { id: string }) => Number(b.id))).toEqual([ids[4]]);
    // A page that is not full has no next link; an empty one has no Link at all.
    expect(since.headers.get("link")).toBe(`<${base}?min_id=${ids[4]}>; rel="prev"`);
    const empty = await call("GET", `/api/v1/admin/domain_blocks?min_id=${ids[4]}`);
    expect(empty.body).toEqual([]);
    expect(empty.headers.get("link")).toBeNull();
  });
});

describe("/api/v1/admin/domain_allows", () => {
  test("create (twice → the same entry), show, list, delete → {}", async () => {
    const res = await call("POST", "/api/v1/admin/domain_allows", {
      form: { domain: "Friends.Example" },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["created_at", "domain", "id"]);
    expect(res.body).toMatchObject({
      domain: "friends.example",
      id: expect.stringMatching(/^\d+$/),
    });
    const again = await call("POST", "/api/v1/admin/domain_allows", {
      json: { domain: "friends.example" },
    });
    expect(again.body).toEqual(res.body);
    expect((await call("GET", `/api/v1/admin/domain_allows/${res.body.id}`)).body).toEqual(
      res.body,
    );
    const list = await call("GET", "/api/v1/admin/domain_allows");
    expect(list.body).toContainEqual(res.body);
    const blank = await call("POST", "/api/v1/admin/domain_allows", { json: {} });
    expect(blank.status).toBe(422);
    const gone = await call("DELETE", `/api/v1/admin/domain_allows/${res.body.id}`);
    expect(gone.status).toBe(200);
    expect(gone.body).toEqual({});
    expect((await call("GET", `/api/v1/admin/domain_allows/${res.body.id}`)).status).toBe(404);
  });
});

describe("GET /api/v1/instance/domain_blocks", () => {
  test("404 (empty body) until published; then obfuscated, digested, comments as chosen", async () => {
    await blockDomain(
      t.database.db,
      {
        domain: "hidden-name.example",
        severity: "suspend",
        obfuscate: true,
        publicComment: "abuse",
      },
      SYSTEM,
    );
    await blockDomain(
      t.database.db,
      { domain: "quiet.example", severity: "noop", rejectMedia: true },
      SYSTEM,
    );
    const closed = await call("GET", "/api/v1/instance/domain_blocks", { token: null });
    expect(closed.status).toBe(404);
    expect(closed.text).toBe("");

    const set = await call("PATCH", "/api/v1/admin/federation_settings", {
      json: { publish_domain_blocks: "all" },
    });
    expect(set.status).toBe(200);
    expect(set.body.publish_domain_blocks).toBe("all");
    const open = await call("GET", "/api/v1/instance/domain_blocks", { token: null });
    expect(open.status).toBe(200);
    expect(open.headers.get("cache-control")).toBe("max-age=180, public");
    const entry = open.body.find((b: { domain: string }) => b.domain.startsWith("hidde"));
    expect(Object.keys(entry).sort()).toEqual(["comment", "digest", "domain", "severity"]);
    expect(entry).toMatchObject({
      domain: "hidde******.***mple",
      severity: "suspend",
      comment: null,
    });
    expect(open.body.map((b: { domain: string }) => b.domain)).not.toContain("quiet.example");

    await call("PATCH", "/api/v1/admin/federation_settings", {
      json: { publish_domain_blocks: "users", publish_domain_blocks_rationale: "users" },
    });
    expect((await call("GET", "/api/v1/instance/domain_blocks", { token: null })).status).toBe(404);
    const members = await call("GET", "/api/v1/instance/domain_blocks", { token: member });
    expect(members.status).toBe(200);
    expect(members.body.find((b: { digest: string }) => b.digest === entry.digest).comment).toBe(
      "abuse",
    );
    await call("PATCH", "/api/v1/admin/federation_settings", {
      json: { publish_domain_blocks: "disabled" },
    });
  });
});

describe("FediBlockHole's push, replayed request by request", () => {
  /**
   * eigenmagic/fediblockhole `push_blocklist`: GET the admin list (following
   * `Link` while it splits into exactly two links), then per entry: unknown →
   * (suspend: POST /measures instance_follows) POST the block, 422 is only a
   * warning; known with different fields → (raised severity: /measures) PUT
   * the old block updated with the new fields, `id` removed.
   */
  async function fediBlockHolePush(blocks: Record<string, unknown>[]) {
    const log: string[] = [];
    const headers = { "User-Agent": "FediBlockHole/0.4.6" };
    const server: Record<string, Record<string, unknown>> = {};
    let url: string | null = `${haven.origin}/api/v1/admin/domain_blocks`;
    while (url) {
      const res = await call("GET", url.slice(haven.origin.length), { headers });
      expect(res.status).toBe(200);
      log.push(`GET ${res.body.length}`);
      for (const b of res.body) server[b.domain] = b;
      const link = res.headers.get("link");
      const parts = link?.split(", ") ?? [];
      url =
        parts.length === 2 ? parts[0]!.split("; ")[0]!.replace(/^</, "").replace(/>$/, "") : null;
    }
    const fields = [
      "severity",
      "public_comment",
      "private_comment",
      "reject_media",
      "reject_reports",
      "obfuscate",
    ];
    const rank = (s: unknown) => ["noop", "silence", "suspend"].indexOf(String(s));
    const follows = async (domain: string) => {
      const res = await call("POST", "/api/v1/admin/measures", {
        headers,
        json: { keys: ["instance_follows"], instance_follows: { domain } },
      });
      expect(res.status).toBe(200);
      return Number.parseInt(res.body[0].total, 10);
    };
    for (const block of blocks) {
      // DomainBlock's defaults for what the list does not say.
      const full: Record<string, unknown> = {
        public_comment: "",
        private_comment: "",
        reject_media: false,
        reject_reports: false,
        obfuscate: false,
        ...block,
      };
      const old = server[String(full.domain)];
      if (old) {
        const changed = fields.filter((f) => (old[f] ?? "") !== full[f]);
        if (changed.length === 0) continue;
        if (rank(full.severity) > rank(old.severity) && rank(full.severity) > rank("silence")) {
          expect(await follows(String(old.domain))).toBe(0);
        }
        // DomainBlock._asdict() of the old block updated with the new one, `id` deleted.
        const update = Object.fromEntries(["domain", ...fields].map((f) => [f, full[f]]));
        const res = await call("PUT", `/api/v1/admin/domain_blocks/${old.id}`, {
          headers,
          json: update,
        });
        log.push(`PUT ${full.domain} ${res.status}`);
        expect(res.status).toBe(200);
      } else {
        if (rank(full.severity) > rank("silence"))
          expect(await follows(String(full.domain))).toBe(0);
        const res = await call("POST", "/api/v1/admin/domain_blocks", { headers, json: full });
        log.push(`POST ${full.domain} ${res.status}`);
        if (res.status === 422) expect(res.body.error).toBeTypeOf("string");
        else expect(res.status).toBe(200);
      }
    }
    return log;
  }

  test("against 120 existing blocks: pages followed, new added, changed updated, a covered one warned", async () => {
    await t.reset();
    ({ token: admin } = await haven.createUser("fbh", { admin: true }));
    for (let n = 0; n < 117; n++) {
      await blockDomain(t.database.db, { domain: `seed${n}.example`, severity: "silence" }, SYSTEM);
    }
    await blockDomain(t.database.db, { domain: "raise.example", severity: "silence" }, SYSTEM);
    await blockDomain(t.database.db, { domain: "same.example", severity: "suspend" }, SYSTEM);
    await blockDomain(t.database.db, { domain: "covered.example", severity: "suspend" }, SYSTEM);

    const log = await fediBlockHolePush([
      { domain: "new-suspend.example", severity: "suspend", public_comment: "spam" },
      { domain: "new-silence.example", severity: "silence" },
      { domain: "raise.example", severity: "suspend", reject_media: true },
      { domain: "same.example", severity: "suspend" },
      { domain: "sub.covered.example", severity: "silence" },
    ]);
    expect(log).toEqual([
      "GET 100",
      "GET 20",
      "POST new-suspend.example 200",
      "POST new-silence.example 200",
      "PUT raise.example 200",
      "POST sub.covered.example 422",
    ]);
    const all = [...(await call("GET", "/api/v1/admin/domain_blocks?limit=200")).body] as {
      domain: string;
      severity: string;
      reject_media: boolean;
      public_comment: string;
    }[];
    const byDomain = new Map(all.map((b) => [b.domain, b]));
    expect(byDomain.get("new-suspend.example")).toMatchObject({
      severity: "suspend",
      public_comment: "spam",
    });
    expect(byDomain.get("raise.example")).toMatchObject({
      severity: "suspend",
      reject_media: true,
    });
    expect(byDomain.has("sub.covered.example")).toBe(false);
    // A second run finds nothing to change.
    const again = await fediBlockHolePush([
      { domain: "new-suspend.example", severity: "suspend", public_comment: "spam" },
      { domain: "raise.example", severity: "suspend", reject_media: true },
    ]);
    expect(again).toEqual(["GET 100", "GET 22"]);
  });
});

describe("POST /api/v1/admin/measures", () => {
  test("instance_follows is 0 (Haven follows no remote accounts); unknown keys skipped", async () => {
    const res = await call("POST", "/api/v1/admin/measures", {
      json: {
        keys: ["instance_follows", "no_such_measure"],
        start_at: "2024-01-01",
        end_at: "2024-01-03",
        instance_follows: { domain: "x.example" },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        key: "instance_follows",
        unit: null,
        total: "0",
        data: ["2024-01-01", "2024-01-02", "2024-01-03"].map((d) => ({
          date: `${d}T00:00:00.000Z`,
          value: "0",
        })),
      },
    ]);
  });
});

describe("CSV import through the API (Haven)", () => {
  // Like a list passed around between admins: a comment, blanks, a duplicate
  // with different case, malformed rows, an obfuscated entry, CRLF endings.
  const LIST = [
    "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
    "# shared by the BPD support admins, 2024-05",
    "",
    'spam.example,suspend,false,false,"Spam, harassment",false',
    "Spam.Example,silence,true,false,,false",
    "bad..domain,suspend,false,false,,false",
    "silly.example,silence,false,false,,false",
    "weird.example,banana,false,false,,false",
    "exa****.com,suspend,false,false,,true",
    "media.example,noop,true,false,,false",
    "",
  ].join("\r\n");

  test("preview: line-numbered errors and duplicates, counts; nothing applied until apply", async () => {
    const before = (await call("GET", "/api/v1/admin/domain_blocks?limit=200")).body.length;
    const res = await call("POST", "/api/v1/admin/domain_blocks/import", {
      body: LIST,
      headers: { "Content-Type": "text/csv" },
    });
    expect(res.status).toBe(200);
    expect(res.body.format).toBe("mastodon_csv");
    expect(res.body.token).toMatch(/^[\w-]{20,}$/);
    expect(res.body.errors.map((e: { line: number }) => e.line)).toEqual([6, 8]);
    expect(res.body.errors[1].message).toContain("banana");
    expect(res.body.duplicates).toEqual([{ line: 5, message: expect.stringContaining("line 4") }]);
    expect(res.body.obfuscated).toEqual([{ line: 9, domain: "exa****.com", digest: null }]);
    expect(res.body.changes.totals).toMatchObject({ new: 3, changed: 0, removed: 0 });
    expect(res.body.changes.new.map((e: { domain: string }) => e.domain).sort()).toEqual([
      "media.example",
      "silly.example",
      "spam.example",
    ]);
    // The duplicate merged harshest-wins: suspend, and reject_media from line 5.
    const spam = res.body.changes.new.find((e: { domain: string }) => e.domain === "spam.example");
    expect(spam.after).toMatchObject({ severity: "suspend", reject_media: true });
    expect((await call("GET", "/api/v1/admin/domain_blocks?limit=200")).body.length).toBe(before);

    const applied = await call(
      "POST",
      `/api/v1/admin/domain_blocks/import/${res.body.token}/apply`,
    );
    expect(applied.status).toBe(200);
    expect(applied.body.changes.totals.new).toBe(3);
    const after = (await call("GET", "/api/v1/admin/domain_blocks?limit=200")).body;
    expect(after.length).toBe(before + 3);
    expect(after.find((b: { domain: string }) => b.domain === "spam.example")).toMatchObject({
      severity: "suspend",
      public_comment: "Spam, harassment",
    });
    const twice = await call("POST", `/api/v1/admin/domain_blocks/import/${res.body.token}/apply`);
    expect(twice.status).toBe(404);
  });

  test("multipart upload; a policy change since the preview → 409; export is Mastodon's CSV", async () => {
    const data = new FormData();
    data.set("file", new File(["late.example\n# a plain list\nlater.example\n"], "list.txt"));
    const preview = await call("POST", "/api/v1/admin/domain_blocks/import", { body: data });
    expect(preview.status).toBe(200);
    expect(preview.body.format).toBe("plain");
    expect(preview.body.changes.totals.new).toBe(2);
    await call("POST", "/api/v1/admin/domain_blocks", { json: { domain: "meanwhile.example" } });
    const stale = await call(
      "POST",
      `/api/v1/admin/domain_blocks/import/${preview.body.token}/apply`,
    );
    expect(stale.status).toBe(409);

    const csv = await call("GET", "/api/v1/admin/domain_blocks/export");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = csv.text.trimEnd().split("\n");
    expect(lines[0]).toBe(
      "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
    );
    expect(lines).toContain('spam.example,suspend,true,false,"Spam, harassment",false');
    expect(lines).toContain("media.example,noop,true,false,,false");
    expect(lines.some((l) => l.startsWith("late.example"))).toBe(false);
  });

  test("a single block's preview changes nothing and answers like create would", async () => {
    const res = await call("POST", "/api/v1/admin/domain_blocks/preview", {
      json: { domain: "maybe.example", severity: "suspend" },
    });
    expect(res.status).toBe(200);
    expect(res.body.totals).toMatchObject({ new: 1, followers_cut: 0 });
    expect(res.body.newly_suspended).toEqual(["maybe.example"]);
    const list = (await call("GET", "/api/v1/admin/domain_blocks?limit=200")).body;
    expect(list.map((b: { domain: string }) => b.domain)).not.toContain("maybe.example");
    const covered = await call("POST", "/api/v1/admin/domain_blocks/preview", {
      json: { domain: "spam.example", severity: "silence" },
    });
    expect(covered.status).toBe(422);
    expect(covered.body.existing_domain_block.domain).toBe("spam.example");
  });
});

describe("Haven's other admin resources", () => {
  test("account blocks: create (201, then 200 for the same), list, delete", async () => {
    const created = await call("POST", "/api/v1/admin/account_blocks", {
      json: { actor_id: "https://mastodon.example/users/troll#main", private_comment: "DMs" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      actor_id: "https://mastodon.example/users/troll",
      domain: "mastodon.example",
      private_comment: "DMs",
      purged: [{ target: "https://mastodon.example/users/troll", reason: "account_blocked" }],
    });
    const again = await call("POST", "/api/v1/admin/account_blocks", {
      json: { actor_id: "https://mastodon.example/users/troll" },
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    const bad = await call("POST", "/api/v1/admin/account_blocks", { json: { actor_id: "troll" } });
    expect(bad.status).toBe(422);
    const list = await call("GET", "/api/v1/admin/account_blocks");
    expect(list.body.map((b: { id: string }) => b.id)).toContain(created.body.id);
    expect((await call("DELETE", `/api/v1/admin/account_blocks/${created.body.id}`)).body).toEqual(
      {},
    );
    expect((await call("DELETE", `/api/v1/admin/account_blocks/${created.body.id}`)).status).toBe(
      404,
    );
  });

  test("exclusions: add, a duplicate → 409, list, remove", async () => {
    const res = await call("POST", "/api/v1/admin/domain_block_exclusions", {
      json: { domain: "Partner.Example", comment: "our partner clinic" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      domain: "partner.example",
      comment: "our partner clinic",
      unblocked: [],
    });
    const dup = await call("POST", "/api/v1/admin/domain_block_exclusions", {
      json: { domain: "partner.example" },
    });
    expect(dup.status).toBe(409);
    expect((await call("GET", "/api/v1/admin/domain_block_exclusions")).body).toContainEqual(
      expect.objectContaining({ id: res.body.id, domain: "partner.example" }),
    );
    expect(
      (await call("DELETE", `/api/v1/admin/domain_block_exclusions/${res.body.id}`)).status,
    ).toBe(200);
  });

  test("settings: read, change, preview, and bad values → 422 with nothing changed", async () => {
    const read = await call("GET", "/api/v1/admin/federation_settings");
    expect(read.body).toEqual({
      federation_mode: "blocklist",
      combination_policy: { kind: "harshest" },
      publish_domain_blocks: "disabled",
      publish_domain_blocks_rationale: "disabled",
      authorized_fetch: false,
    });
    const bad = await call("PATCH", "/api/v1/admin/federation_settings", {
      json: { federation_mode: "allowlist", publish_domain_blocks: "everyone" },
    });
    expect(bad.status).toBe(422);
    expect((await call("GET", "/api/v1/admin/federation_settings")).body).toEqual(read.body);
    const preview = await call("POST", "/api/v1/admin/federation_settings/preview", {
      form: { federation_mode: "allowlist", combination_policy: "threshold", threshold: "2" },
    });
    expect(preview.status).toBe(200);
    expect(preview.body.allowlist.totals).toEqual({ followers_cut: 0, pending_requests_cut: 0 });
    expect(preview.body.combination_policy.totals).toBeDefined();
    const set = await call("PUT", "/api/v1/admin/federation_settings", {
      json: { combination_policy: { kind: "threshold", threshold: 2 } },
    });
    expect(set.body.combination_policy).toEqual({ kind: "threshold", threshold: 2 });
    await call("PUT", "/api/v1/admin/federation_settings", {
      json: { combination_policy: { kind: "harshest" } },
    });
  });

  test("the audit log names the admin, newest first, filterable and paged", async () => {
    const res = await call("GET", "/api/v1/admin/audit_log?action=domain_block.create&limit=2");
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(2);
    expect(res.body[0]).toMatchObject({
      action: "domain_block.create",
      actor: expect.stringMatching(/^account:/),
      source: "manual",
    });
    expect(Number(res.body[0].id)).toBeGreaterThan(Number(res.body[1].id));
    expect(res.headers.get("link")).toContain(`max_id=${res.body[1].id}`);
    const imports = await call("GET", "/api/v1/admin/audit_log?action=import.apply");
    expect(imports.body[0].details.new).toEqual(expect.arrayContaining(["spam.example"]));
  });
});
