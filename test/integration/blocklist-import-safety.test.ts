/**
 * What a blocklist import must refuse or ask about, over HTTP against a real
 * Haven: a binary file is not a list (415, nothing stored); an entry that
 * would block a whole TLD or public suffix waits for the admin to name it
 * (409 until confirmed, then everything applies); and the importer follows
 * the admin API's rule for a subdomain under a blocked parent.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

let t: TestDatabase;
let haven: TestHaven;
let admin: string;

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
type Res = { status: number; body: any };

async function call(
  method: string,
  path: string,
  options: { json?: unknown; body?: BodyInit; type?: string } = {},
): Promise<Res> {
  const headers = new Headers({ Authorization: `Bearer ${admin}` });
  let body = options.body ?? null;
  if (options.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.type) {
    headers.set("Content-Type", options.type);
  }
  const res = await fetch(`${haven.origin}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

const importList = (body: BodyInit, type?: string) =>
  call("POST", "/api/v1/admin/domain_blocks/import", { body, ...(type ? { type } : {}) });
const apply = (token: string, confirm?: string[]) =>
  call("POST", `/api/v1/admin/domain_blocks/import/${token}/apply`, {
    json: confirm === undefined ? {} : { confirm },
  });

async function stored() {
  const [row] = await queryRows<{ blocks: number; sources: number; previews: number }>(
    t.database.db,
    sql`SELECT (SELECT count(*)::int FROM domain_blocks) AS blocks,
               (SELECT count(*)::int FROM domain_block_sources) AS sources,
               (SELECT count(*)::int FROM domain_block_import_previews) AS previews`,
  );
  return row!;
}

/** The start of a PNG: signature, IHDR chunk (a valid one-label "domain"), NULs, bytes ≥ 0x80. */
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x0a, 0x49, 0x48, 0x44,
  0x52, 0x0a, 0x00, 0x00, 0x01, 0x00, 0xd8, 0x08, 0x06, 0x0a, 0x75, 0x6b, 0x0a, 0xff, 0xfe, 0x0a,
]);

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  ({ token: admin } = await haven.createUser("ada", { admin: true }));
});
afterAll(async () => {
  await haven?.close();
  await t?.close();
});
beforeEach(async () => {
  await t.database.db.execute(
    sql`TRUNCATE domain_blocks, domain_block_sources, domain_block_import_previews, moderation_audit_log`,
  );
});

describe("what is not a text blocklist is refused (415), nothing stored", () => {
  test("a binary file: as text/plain, as an upload, as octet-stream", async () => {
    const asText = await importList(PNG, "text/plain");
    expect(asText.status).toBe(415);
    expect(asText.body.error).toMatch(/not UTF-8 text/);
    const form = new FormData();
    form.set("file", new File([PNG], "blocklist.csv", { type: "application/octet-stream" }));
    const upload = await importList(form);
    expect(upload.status).toBe(415);
    expect(upload.body.error).toMatch(/not UTF-8 text/);
    const raw = await importList(PNG, "application/octet-stream");
    expect(raw.status).toBe(415);
    expect(raw.body.error).toContain("application/octet-stream");
    expect(await stored()).toEqual({ blocks: 0, sources: 0, previews: 0 });
  });

  test("NUL bytes and UTF-16 are named; a CSV labelled by a browser as Excel is fine", async () => {
    const nul = await importList("good.example\nbad\u0000.example\n", "text/csv");
    expect(nul.status).toBe(415);
    expect(nul.body.error).toMatch(/NUL bytes \(line 2\)/);
    const inJson = await call("POST", "/api/v1/admin/domain_blocks/import", {
      json: { csv: "good.example\n\u0000" },
    });
    expect(inJson.status).toBe(415);
    const utf16 = new Uint8Array([0xff, 0xfe, ...new TextEncoder().encode("a")]);
    const wide = await importList(utf16, "text/plain");
    expect(wide.status).toBe(415);
    expect(wide.body.error).toMatch(/UTF-16/);
    expect((await stored()).previews).toBe(0);

    const form = new FormData();
    form.set("file", new File(["ok.example\n"], "list.csv", { type: "application/vnd.ms-excel" }));
    const excel = await importList(form);
    expect(excel.status).toBe(200);
    expect(excel.body.changes.totals.new).toBe(1);
  });
});

describe("entries that block a TLD or public suffix need the admin to name them", () => {
  const LIST = "uk\nco.uk\nexample.co.uk\nfine.example\ngithub.io\n";

  test("preview lists them; apply → 409 naming them, nothing applied; confirmed → all applied", async () => {
    const preview = await importList(LIST, "text/plain");
    expect(preview.status).toBe(200);
    expect(preview.body.needs_confirmation).toEqual([
      { line: 1, domain: "uk", reason: expect.stringContaining("top-level domain") },
      { line: 2, domain: "co.uk", reason: expect.stringContaining("public suffix") },
      { line: 5, domain: "github.io", reason: expect.stringContaining("shared hosting") },
    ]);
    expect(preview.body.changes.totals.new).toBe(5);
    const before = await stored();

    const refused = await apply(preview.body.token);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toContain("uk, co.uk, github.io");
    expect(refused.body.needs_confirmation.map((n: { domain: string }) => n.domain)).toEqual([
      "uk",
      "co.uk",
      "github.io",
    ]);
    const partly = await apply(preview.body.token, ["UK", "co.uk"]);
    expect(partly.status).toBe(409);
    expect(partly.body.needs_confirmation).toEqual([
      { line: 5, domain: "github.io", reason: expect.any(String) },
    ]);
    expect(await stored()).toEqual(before);

    const applied = await apply(preview.body.token, ["uk", "co.uk", "github.io"]);
    expect(applied.status).toBe(200);
    expect(applied.body.changes.totals.new).toBe(5);
    expect((await stored()).blocks).toBe(5);
    const audit = await call("GET", "/api/v1/admin/audit_log?action=import.apply");
    expect(audit.body).toHaveLength(1);
    expect(audit.body[0].details.confirmed).toEqual(["uk", "co.uk", "github.io"]);
  });

  test("a list without such entries needs no confirmation", async () => {
    const preview = await importList("example.co.uk\nfoo.github.io\n", "text/plain");
    expect(preview.body.needs_confirmation).toEqual([]);
    expect((await apply(preview.body.token)).status).toBe(200);
  });
});

describe("the importer and the admin API follow one rule for subdomains of a blocked parent", () => {
  test("each candidate is refused by both or accepted by both", async () => {
    await call("POST", "/api/v1/admin/domain_blocks", {
      json: { domain: "parent.example", severity: "suspend" },
    });
    await call("POST", "/api/v1/admin/domain_blocks", {
      json: { domain: "quiet.example", severity: "silence" },
    });
    const candidates = [
      ["a.parent.example", "silence", false],
      ["b.parent.example", "noop", true],
      ["c.parent.example", "suspend", false],
      ["d.quiet.example", "noop", false],
      ["e.quiet.example", "silence", false],
      ["f.quiet.example", "silence", true],
      ["g.quiet.example", "suspend", false],
      ["elsewhere.example", "silence", false],
    ] as const;
    for (const [domain, severity, rejectMedia] of candidates) {
      const api = await call("POST", "/api/v1/admin/domain_blocks/preview", {
        json: { domain, severity, reject_media: rejectMedia },
      });
      const imported = await importList(
        `#domain,#severity,#reject_media\n${domain},${severity},${rejectMedia}\n`,
        "text/csv",
      );
      const importerAccepts = imported.body.changes.totals.new === 1;
      expect({ domain, accepted: importerAccepts }).toEqual({
        domain,
        accepted: api.status === 200,
      });
      if (!importerAccepts) {
        expect(imported.body.errors).toEqual([
          { line: 2, message: expect.stringMatching(/already blocked at least as strictly/) },
        ]);
      }
    }
  });

  test("a parent in the same file counts too; the refused child is never applied", async () => {
    const preview = await importList(
      "#domain,#severity\nkid.newparent.example,silence\nnewparent.example,suspend\n",
      "text/csv",
    );
    expect(preview.body.errors).toEqual([
      { line: 2, message: expect.stringContaining("newparent.example is already blocked") },
    ]);
    expect(preview.body.changes.new.map((e: { domain: string }) => e.domain)).toEqual([
      "newparent.example",
    ]);
    expect((await apply(preview.body.token)).status).toBe(200);
    const blocks = await call("GET", "/api/v1/admin/domain_blocks");
    expect(blocks.body.map((b: { domain: string }) => b.domain)).toEqual(["newparent.example"]);
  });
});
