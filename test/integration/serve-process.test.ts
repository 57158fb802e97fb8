/**
 * `haven serve` as an operator starts it (a real process, `tsx src/main.ts`):
 * idle keep-alive connections outlive Node's 5 s default, so a peer that
 * reuses a pooled connection after a pause (PeerTube) is not cut off; the
 * token made by `haven token create` before PUBLIC_URL was set is refused
 * with the reason; at LOG_LEVEL=debug each request is one line.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createAccount } from "../../src/accounts/account.service.ts";
import { HTTP_SERVER_OPTIONS } from "../../src/http/server.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";

const SECRET_KEY = "serve-process-secret-key-0123456789abcdef";
let t: TestDatabase;
let dir: string;
let server: ChildProcess | null = null;
let output = "";
let origin = "";

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const env = (extra: Record<string, string>) => ({
  ...process.env,
  DATABASE_URL: t.url ?? "",
  DATA_DIR: dir,
  SECRET_KEY,
  ALLOW_PRIVATE_ADDRESS: "true",
  ...extra,
});

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), "haven-serve-"));
  // The CLI and a second process need a server database; skipped on PGlite.
  if (t.url === null) return;
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = spawn("node_modules/.bin/tsx", ["src/main.ts", "serve"], {
    env: env({
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: origin,
      HAVEN_ROLE: "web",
      LOG_LEVEL: "debug",
      NO_COLOR: "1",
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.on("data", (d) => {
    output += d;
  });
  server.stderr?.on("data", (d) => {
    output += d;
  });
  // Ready when /healthz answers (or gone, if it exited).
  const deadline = Date.now() + 90_000;
  for (;;) {
    const status = await fetch(`${origin}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (server.exitCode !== null || Date.now() > deadline) {
      throw new Error(`haven serve did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});
afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

/** Sends one request on `socket` and resolves with the whole response head. */
function request(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const onData = (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const head = received.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: (\d+)/i.exec(received)?.[1];
      if (head >= 0 && length !== undefined && received.length >= head + 4 + Number(length)) {
        socket.off("data", onData).off("close", onClose);
        resolve(received);
      }
    };
    const onClose = () => reject(new Error(`connection closed; received: ${received}`));
    socket.on("data", onData).once("close", onClose);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${new URL(origin).host}\r\n\r\n`);
  });
}

test("timeouts: idle connections kept 65 s, header and request limits still bounded", () => {
  // Longer than the 60 s of common clients and balancers (they close first);
  // headers must still arrive within a bounded time (no slowloris hole).
  expect(HTTP_SERVER_OPTIONS.keepAliveTimeout).toBeGreaterThanOrEqual(65_000);
  expect(HTTP_SERVER_OPTIONS.headersTimeout).toBeGreaterThan(HTTP_SERVER_OPTIONS.keepAliveTimeout);
  expect(HTTP_SERVER_OPTIONS.headersTimeout).toBeLessThanOrEqual(120_000);
  expect(HTTP_SERVER_OPTIONS.requestTimeout).toBeGreaterThan(0);
});

test("a keep-alive connection idle for 10 s still serves the next request", async (context) => {
  if (server === null) return context.skip();
  const socket = tcpConnect(Number(new URL(origin).port), "127.0.0.1");
  let closed = false;
  socket.once("close", () => {
    closed = true;
  });
  try {
    const first = await request(socket, "/healthz");
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    // What the server announces to clients that honour it (Node's fetch does).
    expect(first).toMatch(/\r\nkeep-alive: timeout=65\r\n/i);
    // Idle well past Node's default (5 s, plus Node 24's 1 s grace before it
    // closes): the idleness itself is the subject, no condition to wait for.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(closed).toBe(false);
    const second = await request(socket, "/healthz?token=abc");
    expect(second).toMatch(/^HTTP\/1\.1 200 /);
  } finally {
    socket.destroy();
  }
  // LOG_LEVEL=debug: one line per request, without the query string.
  await expect.poll(() => output).toMatch(/ haven·http GET \/healthz 200 \d+ ms 127\.0\.0\.1\n/);
  expect(output).not.toContain("token=abc");
});

test("a token made before PUBLIC_URL was set is refused, saying why and what to do", async (context) => {
  if (server === null) return context.skip();
  const created = await createAccount(t.database.db, {
    username: "early_admin",
    password: "correct horse battery",
    isAdmin: true,
  });
  expect(created.ok).toBe(true);
  // As a new operator does it: PUBLIC_URL not yet in the environment.
  const withoutPublicUrl: NodeJS.ProcessEnv = env({ LOG_LEVEL: "error", PORT: "3000" });
  delete withoutPublicUrl.PUBLIC_URL;
  const made = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
    execFile(
      "node_modules/.bin/tsx",
      ["src/main.ts", "token", "create", "early_admin"],
      { env: withoutPublicUrl, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(error) : resolve({ stdout, stderr })),
    ),
  );
  // stdout is the token alone (scripts capture it); the advice goes to stderr.
  const token = made.stdout.trim();
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  expect(made.stderr).toContain("http://localhost:3000 (PUBLIC_URL); set PUBLIC_URL first");
  const res = await fetch(`${origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "early" }),
  });
  expect(res.status).toBe(401);
  const { error } = (await res.json()) as { error: string };
  expect(error).toContain("made for http://localhost:3000, not for");
  expect(error).toContain(origin);
  expect(error).toContain("haven token create");
  expect(error).not.toContain(SECRET_KEY);
});
