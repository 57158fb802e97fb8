/**
 * `GET/PATCH /api/v1/admin/instance_settings` over HTTP against a real Haven
 * and PostgreSQL: admins only, strict validation with nothing half-stored,
 * the webhook secret write-only, every change in the audit log; and the
 * `haven settings` CLI on the same rules.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseArgs } from "../../src/cli/args.ts";
import { settingsCommand } from "../../src/cli/settings.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

let t: TestDatabase;
let haven: TestHaven;
let admin: string;
let member: string;

const PATH = "/api/v1/admin/instance_settings";
const SECRET = "s3cret-webhook-key-0123456789";

async function call(method: string, body?: unknown, token: string | null = admin) {
  const headers = new Headers();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  if (body !== undefined) headers.set("Content-Type", "application/json");
  const res = await fetch(`${haven.origin}${PATH}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : null };
}

const samaritans = { label: "Samaritans", phone: "116 123", region: "UK" };

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  ({ token: admin } = await haven.createUser("ada", { admin: true }));
  ({ token: member } = await haven.createUser("mo"));
});
afterAll(async () => {
  await haven.close();
  await t.close();
});

describe("instance settings API", () => {
  test("defaults: default crisis text, counts hidden, approval, no webhook", async () => {
    const res = await call("GET");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      crisis_resources: {
        text: expect.stringMatching(/local emergency services/),
        entries: [],
      },
      crisis_resources_default: true,
      hide_counts: true,
      report_webhook_url: null,
      report_webhook_secret_set: false,
      default_comments_policy: "approval",
    });
  });

  test("admins only: no token 401, a member 403", async () => {
    expect((await call("GET", undefined, null)).status).toBe(401);
    expect((await call("GET", undefined, member)).status).toBe(403);
    const patch = await call("PATCH", { hide_counts: false }, member);
    expect(patch.status).toBe(403);
    expect((await call("GET")).body.hide_counts).toBe(true);
  });

  test.each([
    [
      { crisis_resources: { text: "Help", entries: [{ label: "X", url: "javascript:alert(1)" }] } },
      "crisis_resources.entries[0].url must be an http or https URL",
    ],
    [
      { crisis_resources: { text: "Help", entries: [{ label: "X", phone: "call 911" }] } },
      "crisis_resources.entries[0].phone may contain only digits, spaces and a leading +",
    ],
    [
      { crisis_resources: { text: "Help", entries: [{ label: "X" }] } },
      "crisis_resources.entries[0] needs a url or a phone",
    ],
    [
      { crisis_resources: { text: "Help", entries: [{ phone: "988" }] } },
      "crisis_resources.entries[0].label is required",
    ],
    [
      { crisis_resources: { text: "Help", entries: Array(21).fill(samaritans) } },
      "crisis_resources.entries: at most 20 entries",
    ],
    [{ crisis_resources: { text: "", entries: [] } }, "crisis_resources.text is required"],
    [
      { crisis_resources: { text: "x".repeat(1001), entries: [] } },
      "crisis_resources.text must be at most 1000 characters",
    ],
    [
      { crisis_resources: { text: "Help", entries: [{ ...samaritans, colour: "red" }] } },
      'crisis_resources.entries[0]: unknown field "colour"',
    ],
    [
      { report_webhook_url: "ftp://hooks.example/x" },
      "report_webhook_url must be an http or https URL",
    ],
    [
      { report_webhook_secret: "short" },
      "report_webhook_secret must be a string of 16 to 256 characters",
    ],
    [
      { default_comments_policy: "everyone" },
      "default_comments_policy must be one of open, approval, closed",
    ],
    [{ hide_counts: "maybe" }, "hide_counts must be true or false"],
    [{ show_likes: true }, 'unknown setting "show_likes"'],
  ])("400 with a precise message, nothing stored: %j", async (body, message) => {
    // A valid change sent alongside must not be stored either.
    const res = await call("PATCH", {
      ...body,
      default_comments_policy:
        (body as Record<string, unknown>).default_comments_policy ?? "closed",
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: message });
    expect((await call("GET")).body.default_comments_policy).toBe("approval");
  });

  test("a valid change is stored, normalised and audited", async () => {
    const res = await call("PATCH", {
      crisis_resources: {
        text: "  If you might act on thoughts of suicide, call now.  ",
        entries: [
          samaritans,
          { label: "988 Lifeline", url: "https://988lifeline.org", phone: "988", region: "US" },
        ],
      },
      hide_counts: false,
      default_comments_policy: "open",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      crisis_resources: {
        text: "If you might act on thoughts of suicide, call now.",
        entries: [
          samaritans,
          { label: "988 Lifeline", url: "https://988lifeline.org/", phone: "988", region: "US" },
        ],
      },
      crisis_resources_default: false,
      hide_counts: false,
      default_comments_policy: "open",
    });
    expect((await call("GET")).body).toEqual(res.body);
    const audit = await fetch(`${haven.origin}/api/v1/admin/audit_log?action=settings.update`, {
      headers: { Authorization: `Bearer ${admin}` },
    });
    const entries = (await audit.json()) as { target: string; details: { after: unknown } }[];
    expect(entries.map((e) => e.target).sort()).toEqual([
      "crisis_resources",
      "default_comments_policy",
      "hide_counts",
    ]);
    expect(entries.find((e) => e.target === "hide_counts")?.details).toEqual({
      before: true,
      after: false,
    });
  });

  test("the webhook secret is write-only: never returned, never in the audit log", async () => {
    const res = await call("PATCH", {
      report_webhook_url: "https://hooks.example/haven",
      report_webhook_secret: SECRET,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      report_webhook_url: "https://hooks.example/haven",
      report_webhook_secret_set: true,
    });
    expect(res.text).not.toContain(SECRET);
    expect((await call("GET")).text).not.toContain(SECRET);
    const audit = await fetch(
      `${haven.origin}/api/v1/admin/audit_log?target=report_webhook_secret`,
      {
        headers: { Authorization: `Bearer ${admin}` },
      },
    );
    const text = await audit.text();
    expect(JSON.parse(text)[0].details).toEqual({ before: { set: false }, after: { set: true } });
    expect(text).not.toContain(SECRET);
    // null clears it (and the resources go back to the default).
    const cleared = await call("PATCH", { report_webhook_secret: null, crisis_resources: null });
    expect(cleared.body).toMatchObject({
      report_webhook_secret_set: false,
      crisis_resources_default: true,
    });
  });
});

describe("haven settings CLI", () => {
  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    const code = await settingsCommand(t.database, haven.deps.events, parseArgs(argv, new Set()), {
      out: (l) => lines.push(l),
    });
    return { code, out: lines.join("\n") };
  };

  test("set and get go through the same checks", async () => {
    expect(await run("settings", "set", "hide_counts", "true")).toEqual({ code: 0, out: "true" });
    expect(await run("settings", "set", "default_comments_policy", "closed")).toEqual({
      code: 0,
      out: '"closed"',
    });
    expect((await call("GET")).body.default_comments_policy).toBe("closed");
    const bad = await run("settings", "set", "report_webhook_url", "javascript:alert(1)");
    expect(bad).toEqual({ code: 1, out: "error: report_webhook_url must be an http or https URL" });
    expect(JSON.parse((await run("settings", "get")).out)).toMatchObject({
      hide_counts: true,
      default_comments_policy: "closed",
      report_webhook_url: "https://hooks.example/haven",
      report_webhook_secret_set: false,
    });
  });
});
