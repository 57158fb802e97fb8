/**
 * Browser tests: playwright-core driving the system's Chromium (Debian's
 * `chromium` package; `.ci/run` installs it when missing). One browser per
 * test file, a fresh context (cookies, storage) per test.
 */
import { accessSync, constants, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

/** Where page screenshots go (gitignored; the README names it). */
export const SCREENSHOT_DIR = join(process.cwd(), "test-output", "screenshots");

/** Chromium on the PATH, as Debian installs it. */
function chromiumPath(): string {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    for (const name of ["chromium", "chromium-browser"]) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  throw new Error("chromium is not on the PATH: apt-get install -y chromium");
}

/**
 * Without the background-networking flags Chromium keeps trying to reach
 * Google's services (component updates, sync, QUIC probes), which a closed
 * test network answers with nothing but delays. Playwright gives each launch
 * a fresh temporary profile (user-data-dir).
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

let addresses = 0;

/**
 * A fresh context (no cookies) and its page. Each context claims its own
 * client address through `X-Forwarded-For` (for a Haven started with
 * TRUST_PROXY): all tests run from 127.0.0.1, and the per-address sign-in
 * throttle of one test must not stop the next.
 */
export async function newPage(
  browser: Browser,
  options: { address?: string } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  addresses += 1;
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    extraHTTPHeaders: {
      "X-Forwarded-For": options.address ?? `10.9.${addresses >> 8}.${addresses & 255}`,
    },
  });
  // Every wait is for a condition; this only bounds how long a broken page may take.
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  return { context, page };
}

/** Signs in through the real form; resolves once the browser has left /login. */
export async function signIn(page: Page, origin: string, username: string, password: string) {
  await page.goto(`${origin}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== "/login"),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown }[];
}

/**
 * axe-core on the page as it is: no serious or critical violation. Evaluated
 * through the DevTools protocol, which the page's CSP does not restrict (a
 * script tag would be refused, rightly).
 */
export async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (ctx: Document) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document);
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target),
    }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad, `${page.url()}: ${JSON.stringify(bad, null, 1)}`).toEqual([]);
}

/** Full-page screenshots at a phone's and a desktop's width. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize();
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${width}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
}
