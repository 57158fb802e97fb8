/**
 * Browser sessions over plain HTTP: the cookie's attributes (Secure and the
 * `__Host-` prefix under an https PUBLIC_URL), idle and absolute expiry,
 * an API password change ending browser sessions, and where `next` may lead.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { webSessions } from "../../src/db/schema/index.ts";
import { safeNext } from "../../src/http/session/middleware.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

const PASSWORD = "correct horse battery";
let t: TestDatabase;
let haven: TestHaven;
let secure: TestHaven;

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  // The same database behind an https public URL (as behind a TLS proxy).
  secure = await startHaven(t.database, {
    workers: false,
    env: { PUBLIC_URL: "https://haven.example" },
  });
  await haven.createUser("member");
});
afterAll(async () => {
  await haven?.close();
  await secure?.close();
  await t?.close();
});

async function signIn(origin: string): Promise<{ cookie: string; setCookie: string }> {
  const res = await fetch(`${origin}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: "member", password: PASSWORD, next: "/moderation" }),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/moderation");
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { cookie: setCookie.split(";")[0]!, setCookie };
}

const passwordPage = (cookie: string) =>
  fetch(`${haven.origin}/account/password`, { headers: { Cookie: cookie }, redirect: "manual" });

describe("web sessions", () => {
  test("the cookie: HttpOnly, SameSite=Lax; Secure and __Host- under https", async () => {
    const plain = await signIn(haven.origin);
    expect(plain.setCookie).toMatch(/^haven_session=/);
    expect(plain.setCookie).toMatch(/HttpOnly/);
    expect(plain.setCookie).toMatch(/SameSite=Lax/);
    expect(plain.setCookie).not.toMatch(/Secure/);
    const https = await signIn(secure.origin);
    expect(https.setCookie).toMatch(/^__Host-haven_session=/);
    expect(https.setCookie).toMatch(/Secure/);
    expect(https.setCookie).toMatch(/Path=\//);
  });

  test("a tampered cookie signs nobody in", async () => {
    const { cookie } = await signIn(haven.origin);
    const [name, value] = cookie.split("=");
    const tampered = `${name}=${value!.replace(/^./, (ch) => (ch === "A" ? "B" : "A"))}`;
    expect((await passwordPage(cookie)).status).toBe(200);
    expect((await passwordPage(tampered)).status).toBe(303);
  });

  test("idle for 14 days, or 90 days old: the session is over", async () => {
    const idle = await signIn(haven.origin);
    const old = await signIn(haven.origin);
    const rows = await t.database.db.select().from(webSessions).orderBy(webSessions.createdAt);
    const [idleRow, oldRow] = rows.slice(-2);
    await t.database.db
      .update(webSessions)
      .set({ lastSeenAt: sql`now() - interval '14 days 1 minute'` })
      .where(eq(webSessions.idHash, idleRow!.idHash));
    await t.database.db
      .update(webSessions)
      .set({ createdAt: sql`now() - interval '90 days 1 minute'`, lastSeenAt: sql`now()` })
      .where(eq(webSessions.idHash, oldRow!.idHash));
    expect((await passwordPage(idle.cookie)).status).toBe(303);
    expect((await passwordPage(old.cookie)).status).toBe(303);
    const fresh = await signIn(haven.origin);
    expect((await passwordPage(fresh.cookie)).status).toBe(200);
  });

  test("a password change through the API ends browser sessions too", async () => {
    const { cookie } = await signIn(haven.origin);
    const token = (await (
      await fetch(`${haven.origin}/api/v1/auth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: "member", password: PASSWORD }),
      })
    ).json()) as { access_token: string };
    const changed = await fetch(`${haven.origin}/api/v1/auth/password`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token.access_token}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ current_password: PASSWORD, new_password: PASSWORD }),
    });
    expect(changed.status).toBe(200);
    expect((await passwordPage(cookie)).status).toBe(303);
  });

  test("next leads only to a path on this site", () => {
    expect(safeNext("/moderation?x=1")).toBe("/moderation?x=1");
    for (const bad of [
      "//evil.example",
      "/\\evil.example",
      "https://evil.example",
      "javascript:alert(1)",
      "/a\nb",
      "",
      null,
    ]) {
      expect(safeNext(bad)).toBe("/");
    }
  });
});
