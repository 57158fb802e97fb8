import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, test } from "vitest";

/**
 * The newcomer's path: no DATABASE_URL, data under DATA_DIR, the real entry
 * point (`npm start` runs the same `tsx src/main.ts serve`).
 */
const ROOT = resolve(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const dataDir = mkdtempSync(join(tmpdir(), "haven-embedded-"));
let server: ChildProcess | null = null;

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function run(args: string[], env: Record<string, string>, stdin?: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => {
    const child = spawn(TSX, ["src/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    if (stdin !== undefined) child.stdin.end(stdin);
    child.on("close", (code) => res({ code, stdout, stderr }));
  });
}

afterAll(() => {
  server?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

test("embedded PGlite: CLI sets up, server migrates and answers WebFinger; CLI refuses to share the database", async () => {
  const port = await freePort();
  const env = { DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warning" };

  const user = await run(["user", "create", "founder", "--admin"], env);
  expect(user.code).toBe(0);
  expect(user.stdout).toMatch(/password: \S{12,}/);
  const password = /password: (\S+)/.exec(user.stdout)![1]!;
  const piped = await run(
    ["user", "create", "helper", "--password-stdin"],
    env,
    "a long enough secret\n",
  );
  expect(piped.code).toBe(0);
  expect(piped.stdout).not.toMatch(/password:/);
  const channel = await run(["channel", "create", "first_steps", "--owner", "founder"], env);
  expect(channel.stdout).toContain("created channel first_steps");

  server = spawn(TSX, ["src/main.ts", "serve"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: "", ...env },
  });
  const origin = `http://127.0.0.1:${port}`;
  let health: Response | null = null;
  // Up to 2 minutes: PGlite opens and migrates in seconds on an idle machine, far slower on a loaded CI one.
  for (let i = 0; i < 480 && !health; i++) {
    health = await fetch(`${origin}/healthz`).catch(() => null);
    if (!health) await new Promise((r) => setTimeout(r, 250));
  }
  expect(health?.status).toBe(200);

  const wf = await fetch(
    `${origin}/.well-known/webfinger?resource=acct:first_steps@localhost:${port}`,
  );
  expect(wf.status).toBe(200);
  expect((await wf.json()).links[0].href).toBe(`http://localhost:${port}/users/first_steps`);
  // Twice: built on the first GET, then served from the actor fast path's cache on PGlite.
  for (let i = 0; i < 2; i++) {
    const actor = await fetch(`${origin}/users/first_steps`, {
      headers: { Accept: "application/activity+json" },
    });
    expect(actor.headers.get("content-type")).toBe("application/activity+json");
    expect((await actor.json()).id).toBe(`http://localhost:${port}/users/first_steps`);
  }

  // The printed and the piped passwords both log in.
  for (const [username, pw] of [
    ["founder", password],
    ["helper", "a long enough secret"],
  ]) {
    const login = await fetch(`${origin}/api/v1/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password: pw }),
    });
    expect(login.status).toBe(200);
  }

  const busy = await run(["user", "create", "second"], env);
  expect(busy.code).toBe(2);
  expect(busy.stderr).toMatch(/in use by another Haven process/);
  expect(busy.stderr).toMatch(/DATABASE_URL/);
  // Five processes that each open PGlite (9–16 s fresh on this kind of machine, more under load).
}, 300_000);
