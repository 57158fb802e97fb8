/**
 * Shared blocklist subscriptions over real HTTP: a list served by a loopback
 * server (ALLOW_PRIVATE_ADDRESS is on in test Havens), fetched through the
 * SSRF-safe fetcher by the admin API and by the workers' sync loop. A changed
 * list is applied, an unreachable one keeps the last good list, a list naming
 * our own domain is ignored for that entry, what a list suspends loses its
 * followers, and review mode waits for an admin.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { queryRows } from "../../src/db/client.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { type FakeRemote, startFakeRemote } from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, followChannel } from "../support/video-fixtures.ts";

let t: TestDatabase;
let haven: TestHaven;
let admin: string;
let lists: Server;
let listOrigin: string;
/** path → what the list server answers */
const pages = new Map<string, { status?: number; body: string; type?: string }>();
let requests: string[] = [];

interface Res {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  body: any;
}

async function api(method: string, path: string, json?: unknown): Promise<Res> {
  const res = await fetch(`${haven.origin}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${admin}`,
      ...(json === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  return { status: res.status, body: await res.json() };
}

async function blocked(): Promise<Map<string, string>> {
  const res = await api("GET", "/api/v1/admin/domain_blocks?limit=200");
  return new Map(res.body.map((b: { domain: string; severity: string }) => [b.domain, b.severity]));
}

async function subscribe(path: string, extra: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/v1/admin/domain_block_subscriptions", {
    url: `${listOrigin}${path}`,
    title: path,
    ...extra,
  });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

beforeAll(async () => {
  t = await createTestDatabase();
  lists = createServer((req, res) => {
    requests.push(req.url ?? "");
    const page = pages.get(req.url ?? "");
    if (!page) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(page.status ?? 200, { "Content-Type": page.type ?? "text/csv" }).end(page.body);
  });
  await new Promise<void>((resolve) => lists.listen(0, "127.0.0.31", resolve));
  listOrigin = `http://127.0.0.31:${(lists.address() as AddressInfo).port}`;
  haven = await startHaven(t.database, { workers: false });
  ({ token: admin } = await haven.createUser("ada", { admin: true }));
});
afterAll(async () => {
  await haven?.close();
  lists?.closeAllConnections();
  await new Promise((resolve) => lists?.close(resolve));
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
  requests = [];
});

const CSV = (rows: string[]) =>
  ["#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate", ...rows].join(
    "\n",
  );

describe("the workers' sync loop", () => {
  test("a new subscription is fetched and applied as soon as the workers run", async () => {
    pages.set("/loop.csv", { body: CSV(["loop-one.example,suspend,false,false,,false"]) });
    const sub = await subscribe("/loop.csv");
    haven.startWorkers();
    await expect
      .poll(async () => (await blocked()).get("loop-one.example"), { timeout: 10_000 })
      .toBe("suspend");
    const shown = await api("GET", `/api/v1/admin/domain_block_subscriptions/${sub.id}`);
    expect(shown.body).toMatchObject({
      id: sub.id,
      url: `${listOrigin}/loop.csv`,
      format: "auto",
      enabled: true,
      last_error: null,
      last_success_at: expect.any(String),
    });
  });
});

describe("syncing through the admin API", () => {
  let sub: { id: string };

  test("preview first: what would be blocked, our own domain ignored, nothing stored", async () => {
    pages.set("/list.csv", {
      body: CSV([
        "alpha.example,suspend,false,false,Spam,false",
        "beta.example,silence,false,false,,false",
        // Our own host (PUBLIC_URL is http://127.0.0.1:PORT): never applied.
        "127.0.0.1,suspend,false,false,,false",
        "bad..row,suspend,false,false,,false",
      ]),
    });
    const preview = await api("POST", "/api/v1/admin/domain_block_subscriptions/preview", {
      url: `${listOrigin}/list.csv`,
    });
    expect(preview.status).toBe(200);
    expect(preview.body.status).toBe("synced");
    expect(preview.body.changes.new.map((e: { domain: string }) => e.domain).sort()).toEqual([
      "alpha.example",
      "beta.example",
    ]);
    expect(preview.body.ignored).toEqual([
      { line: 4, domain: "127.0.0.1", reason: "names this instance's own domain" },
    ]);
    expect(preview.body.errors).toEqual([{ line: 5, message: expect.any(String) }]);
    expect((await blocked()).has("alpha.example")).toBe(false);
    expect(requests).toEqual(["/list.csv"]);
  });

  test("sync: applied; our own domain never blocked; a dry run changes nothing", async () => {
    sub = await subscribe("/list.csv", { sync_interval_seconds: 3600 });
    const dry = await api(
      "POST",
      `/api/v1/admin/domain_block_subscriptions/${sub.id}/sync?dry_run=true`,
    );
    expect(dry.body).toMatchObject({ status: "synced", dry_run: true });
    expect((await blocked()).has("alpha.example")).toBe(false);

    const res = await api("POST", `/api/v1/admin/domain_block_subscriptions/${sub.id}/sync`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "synced", subscription_id: sub.id, dry_run: false });
    const now = await blocked();
    expect(now.get("alpha.example")).toBe("suspend");
    expect(now.get("beta.example")).toBe("silence");
    expect(now.has("127.0.0.1")).toBe(false);
  });

  test("a changed list: new entries added, dropped ones lifted, changed ones updated", async () => {
    pages.set("/list.csv", {
      body: CSV([
        "alpha.example,silence,false,false,Spam,false",
        "gamma.example,suspend,true,false,,false",
      ]),
    });
    const res = await api("POST", `/api/v1/admin/domain_block_subscriptions/${sub.id}/sync`);
    expect(res.body.status).toBe("synced");
    expect(res.body.changes.totals).toMatchObject({ new: 1, changed: 1, removed: 1 });
    const now = await blocked();
    expect(now.get("alpha.example")).toBe("silence");
    expect(now.get("gamma.example")).toBe("suspend");
    expect(now.has("beta.example")).toBe(false);
  });

  test("unreachable or broken: the last good list stays, the error is recorded", async () => {
    pages.set("/list.csv", { status: 503, body: "maintenance" });
    const down = await api("POST", `/api/v1/admin/domain_block_subscriptions/${sub.id}/sync`);
    expect(down.body).toMatchObject({
      status: "fetch_failed",
      error: expect.stringContaining("503"),
    });
    expect((await blocked()).get("gamma.example")).toBe("suspend");
    const shown = await api("GET", `/api/v1/admin/domain_block_subscriptions/${sub.id}`);
    expect(shown.body.last_error).toContain("503");

    pages.set("/list.csv", { body: "[not json", type: "application/json" });
    const garbled = await api("POST", `/api/v1/admin/domain_block_subscriptions/${sub.id}/sync`);
    expect(garbled.body.status).toBe("parse_failed");
    expect((await blocked()).get("gamma.example")).toBe("suspend");

    // Unreachable host: nothing listens on this port.
    const moved = await api("PATCH", `/api/v1/admin/domain_block_subscriptions/${sub.id}`, {
      url: "http://127.0.0.31:1/list.csv",
    });
    expect(moved.status).toBe(200);
    const gone = await api("POST", `/api/v1/admin/domain_block_subscriptions/${sub.id}/sync`);
    expect(gone.body.status).toBe("fetch_failed");
    expect((await blocked()).get("gamma.example")).toBe("suspend");
  });

  test("deleting the subscription lifts the blocks only it made", async () => {
    const res = await api("DELETE", `/api/v1/admin/domain_block_subscriptions/${sub.id}`);
    expect(res.status).toBe(200);
    const now = await blocked();
    expect(now.has("gamma.example")).toBe(false);
    expect(now.get("loop-one.example")).toBe("suspend");
  });
});

describe("what a list suspends loses its followers", () => {
  let remote: FakeRemote;
  afterAll(() => remote?.close());

  test("a synced list naming a follower's domain removes those follows", async () => {
    remote = await startFakeRemote({ kind: "mastodon", host: "127.0.0.32" });
    const channel = await createTestChannel(haven, "olive", "skills");
    const alice = await remote.addActor("alice");
    await followChannel(remote, alice, channel);
    const follows = () =>
      queryRows<{ n: number }>(
        t.database.db,
        sql`SELECT count(*)::int AS n FROM follows f JOIN remote_actors ra ON ra.id = f.follower_id
             WHERE ra.iri = ${alice.id}`,
      );
    expect(await follows()).toEqual([{ n: 1 }]);
    pages.set("/followers.txt", { body: "# plain list\n127.0.0.32\n", type: "text/plain" });
    const sub = await subscribe("/followers.txt");
    const res = await api("POST", `/api/v1/admin/domain_block_subscriptions/${sub.id}/sync`);
    expect(res.body.newly_suspended).toEqual(["127.0.0.32"]);
    expect(res.body.purged).toEqual([
      {
        target: "127.0.0.32",
        reason: "suspended",
        removed: expect.objectContaining({ follows: 1 }),
      },
    ]);
    expect(await follows()).toEqual([{ n: 0 }]);
  });
});

describe("review mode", () => {
  test("entries wait as drafts; approve blocks, reject keeps it out", async () => {
    pages.set("/review.csv", {
      body: CSV([
        "keep.example,suspend,false,false,,false",
        "drop.example,silence,false,false,,false",
      ]),
    });
    const sub = await subscribe("/review.csv", { review_mode: true });
    const res = await api("POST", `/api/v1/admin/domain_block_subscriptions/${sub.id}/sync`);
    expect(res.body.drafted.sort()).toEqual(["drop.example", "keep.example"]);
    expect((await blocked()).has("keep.example")).toBe(false);

    const drafts = await api("GET", `/api/v1/admin/domain_block_drafts?subscription_id=${sub.id}`);
    expect(drafts.body.map((d: { domain: string }) => d.domain)).toEqual([
      "drop.example",
      "keep.example",
    ]);
    const keep = drafts.body.find((d: { domain: string }) => d.domain === "keep.example");
    const drop = drafts.body.find((d: { domain: string }) => d.domain === "drop.example");
    expect(keep).toMatchObject({ subscription_id: sub.id, severity: "suspend", status: "pending" });
    const preview = await api("GET", `/api/v1/admin/domain_block_drafts/${keep.id}/preview`);
    expect(preview.body.newly_suspended).toEqual(["keep.example"]);

    const approved = await api("POST", `/api/v1/admin/domain_block_drafts/${keep.id}/approve`);
    expect(approved.body.newly_suspended).toEqual(["keep.example"]);
    const rejected = await api("POST", `/api/v1/admin/domain_block_drafts/${drop.id}/reject`);
    expect(rejected.body.status).toBe("rejected");
    const now = await blocked();
    expect(now.get("keep.example")).toBe("suspend");
    expect(now.has("drop.example")).toBe(false);
    const left = await api("GET", "/api/v1/admin/domain_block_drafts?status=rejected");
    expect(left.body.map((d: { domain: string }) => d.domain)).toEqual(["drop.example"]);
  });
});
