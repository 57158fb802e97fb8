/**
 * Browser sessions in a real Chromium: sign in and out, the way back after
 * signing in, the throttle, a password change ending other sessions, the
 * cross-site POST guard, and /admin for admins only.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { webSessions } from "../../src/db/schema/index.ts";
import {
  expectAccessible,
  launchBrowser,
  newPage,
  screenshots,
  signIn,
} from "../support/browser.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

const PASSWORD = "correct horse battery";
let t: TestDatabase;
let haven: TestHaven;
let browser: Browser;
let attacker: Server;
let attackerOrigin: string;

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, browser] = await Promise.all([
    startHaven(t.database, { workers: false, env: { TRUST_PROXY: "true" } }),
    launchBrowser(),
  ]);
  await haven.createUser("boss", { admin: true });
  await haven.createUser("member");
  // Another site (another loopback address): its page posts a form to Haven.
  attacker = createServer((_req, res) => {
    res.setHeader("Content-Type", "text/html");
    res.end(
      `<!doctype html><title>Win a prize</title>
       <form method="post" action="${haven.origin}/account/password">
         <input type="hidden" name="current_password" value="${PASSWORD}">
         <input type="hidden" name="new_password" value="attacker-chosen-password">
         <button type="submit">Claim</button>
       </form>`,
    );
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.9", resolve));
  attackerOrigin = `http://127.0.0.9:${(attacker.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
  await haven?.close();
  await t?.close();
});

const sessionsOf = async (username: string) => {
  const account = await t.database.db.query.accounts.findFirst({
    where: (a, { eq: is }) => is(a.username, username),
  });
  return t.database.db.select().from(webSessions).where(eq(webSessions.accountId, account!.id));
};

describe("browser sessions", () => {
  test("sign in, see the account in the header, sign out", async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${haven.origin}/login`);
    await expectAccessible(page);
    await screenshots(page, "login");
    await signIn(page, haven.origin, "member", PASSWORD);
    expect(new URL(page.url()).pathname).toBe("/");
    await expect.poll(() => page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(true);
    const [cookie] = await context.cookies(haven.origin);
    expect(cookie).toMatchObject({ name: "haven_session", httpOnly: true, sameSite: "Lax" });
    expect(await sessionsOf("member")).toHaveLength(1);

    await Promise.all([
      page.waitForURL(`${haven.origin}/`),
      page.getByRole("button", { name: "Sign out" }).click(),
    ]);
    await page.getByRole("link", { name: "Sign in" }).waitFor();
    expect(await sessionsOf("member")).toHaveLength(0);
    // The old cookie is worth nothing now, even if someone kept a copy.
    const res = await fetch(`${haven.origin}/account/password`, {
      headers: { Cookie: `${cookie!.name}=${cookie!.value}` },
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    await context.close();
  });

  test("a signed-out visitor is sent to /login and back afterwards; a foreign next is ignored", async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${haven.origin}/account/password`);
    expect(page.url()).toBe(`${haven.origin}/login?next=%2Faccount%2Fpassword`);
    await page.getByLabel("Username").fill("member");
    await page.getByLabel("Password").fill(PASSWORD);
    await Promise.all([
      page.waitForURL(`${haven.origin}/account/password`),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);
    await expect.poll(() => page.getByRole("heading", { name: "Change password" }).count()).toBe(1);
    await expectAccessible(page);
    await screenshots(page, "change-password");
    await context.close();

    const other = await newPage(browser);
    await other.page.goto(`${haven.origin}/login?next=${encodeURIComponent("//evil.example/x")}`);
    await signIn(other.page, haven.origin, "member", PASSWORD);
    expect(other.page.url()).toBe(`${haven.origin}/`);
    await other.context.close();
  });

  test("a password change ends every other session", async () => {
    const a = await newPage(browser);
    const b = await newPage(browser);
    await haven.createUser("changer");
    await signIn(a.page, haven.origin, "changer", PASSWORD);
    await signIn(b.page, haven.origin, "changer", PASSWORD);
    expect(await sessionsOf("changer")).toHaveLength(2);
    await a.page.goto(`${haven.origin}/account/password`);
    await a.page.getByLabel("Current password").fill(PASSWORD);
    await a.page.getByLabel("New password").fill("a brand new password");
    await Promise.all([
      a.page.waitForURL(`${haven.origin}/account/password?changed=1`),
      a.page.getByRole("button", { name: "Change password" }).click(),
    ]);
    await a.page.getByText("Your password was changed").waitFor();
    expect(await sessionsOf("changer")).toHaveLength(1);
    // The other browser is signed out: its next protected page asks it to sign in.
    await b.page.goto(`${haven.origin}/account/password`);
    expect(new URL(b.page.url()).pathname).toBe("/login");
    await Promise.all([a.context.close(), b.context.close()]);
  });

  test("sign-in is throttled per account after 10 failures: 429 with a clear message", async () => {
    await haven.createUser("target");
    const { context, page } = await newPage(browser);
    for (let i = 0; i < 10; i++) {
      await page.goto(`${haven.origin}/login`);
      await page.getByLabel("Username").fill("target");
      await page.getByLabel("Password").fill(`wrong guess ${i}`);
      const [res] = await Promise.all([
        page.waitForResponse(
          (r) => r.url() === `${haven.origin}/login` && r.request().method() === "POST",
        ),
        page.getByRole("button", { name: "Sign in" }).click(),
      ]);
      expect(res.status()).toBe(401);
      await page.getByText("Wrong username or password.").waitFor();
    }
    // The right password no longer helps while the window lasts.
    await page.goto(`${haven.origin}/login`);
    await page.getByLabel("Username").fill("target");
    await page.getByLabel("Password").fill(PASSWORD);
    const [res] = await Promise.all([
      page.waitForResponse(
        (r) => r.url() === `${haven.origin}/login` && r.request().method() === "POST",
      ),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);
    expect(res.status()).toBe(429);
    expect(Number(res.headers()["retry-after"])).toBeGreaterThan(0);
    await page.getByText("Too many failed sign-ins").waitFor();
    await expectAccessible(page);
    expect(await sessionsOf("target")).toHaveLength(0);
    await context.close();
  });

  test("sign-in is throttled per address: 10 failures on any accounts, then 429", async () => {
    await haven.createUser("bystander");
    const { context, page } = await newPage(browser, { address: "10.77.0.1" });
    const attempt = async (username: string, password: string) => {
      await page.goto(`${haven.origin}/login`);
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill(password);
      const [res] = await Promise.all([
        page.waitForResponse(
          (r) => r.url() === `${haven.origin}/login` && r.request().method() === "POST",
        ),
        page.getByRole("button", { name: "Sign in" }).click(),
      ]);
      return res.status();
    };
    for (let i = 0; i < 10; i++) expect(await attempt(`sprayed${i}`, "password123")).toBe(401);
    expect(await attempt("bystander", PASSWORD)).toBe(429);
    await context.close();
    // From another address the same account signs in.
    const elsewhere = await newPage(browser, { address: "10.77.0.2" });
    await signIn(elsewhere.page, haven.origin, "bystander", PASSWORD);
    expect(new URL(elsewhere.page.url()).pathname).toBe("/");
    await elsewhere.context.close();
  });

  test("a form posted from another site is refused with 403 and changes nothing", async () => {
    await haven.createUser("victim");
    const { context, page } = await newPage(browser);
    await signIn(page, haven.origin, "victim", PASSWORD);
    await page.goto(attackerOrigin);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${haven.origin}/account/password`),
      page.getByRole("button", { name: "Claim" }).click(),
    ]);
    expect(res.status()).toBe(403);
    // Still signed in with the old password; the attacker's does not work.
    expect(await sessionsOf("victim")).toHaveLength(1);
    const check = await fetch(`${haven.origin}/api/v1/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "victim", password: PASSWORD }),
    });
    expect(check.status).toBe(200);

    // With the session cookie itself (as a browser without SameSite would send
    // it) and a foreign Origin: refused all the same.
    const [cookie] = await context.cookies(haven.origin);
    const forged = await fetch(`${haven.origin}/logout`, {
      method: "POST",
      headers: {
        Cookie: `${cookie!.name}=${cookie!.value}`,
        Origin: attackerOrigin,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "",
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    // Same origin but without the session's CSRF token: refused too.
    const tokenless = await fetch(`${haven.origin}/logout`, {
      method: "POST",
      headers: {
        Cookie: `${cookie!.name}=${cookie!.value}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "_csrf=guess",
      redirect: "manual",
    });
    expect(tokenless.status).toBe(403);
    expect(await sessionsOf("victim")).toHaveLength(1);
    await context.close();
  });

  test("/admin: 403 page for a member, the landing page for an admin", async () => {
    const member = await newPage(browser);
    await signIn(member.page, haven.origin, "member", PASSWORD);
    const res = await member.page.goto(`${haven.origin}/admin`);
    expect(res?.status()).toBe(403);
    await member.page.getByText("Your account is not one").waitFor();
    await expectAccessible(member.page);
    await member.context.close();

    const admin = await newPage(browser);
    await signIn(admin.page, haven.origin, "boss", PASSWORD);
    const ok = await admin.page.goto(`${haven.origin}/admin`);
    expect(ok?.status()).toBe(200);
    expect(ok?.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(ok?.headers()["content-security-policy"]).not.toContain(
      "script-src 'self' 'unsafe-inline'",
    );
    await admin.page.getByRole("heading", { name: "Admin", exact: true }).waitFor();
    await expectAccessible(admin.page);
    await screenshots(admin.page, "admin");
    await admin.context.close();
  });
});
