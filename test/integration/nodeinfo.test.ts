/**
 * NodeInfo 2.0 and 2.1 (INTEROP.md §2): both linked, both valid against their schema, honest
 * usage numbers, the profile Content-Type and CORS that crawlers and peers expect.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAccount } from "../../src/accounts/account.service.ts";
import { apiTokens, videoComments } from "../../src/db/schema/index.ts";
import { readUsageStats } from "../../src/instance/usage-stats.ts";
import { upsertRemoteActor } from "../../src/remote/remote-actor.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { nodeInfoSchemaProblems } from "../support/nodeinfo-schema.ts";
import { createTestChannel, publishVideo } from "../support/video-fixtures.ts";

const DAY = 86_400_000;
let t: TestDatabase;
let haven: TestHaven;

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, {
    workers: false,
    env: { INSTANCE_NAME: "Calm Waters", INSTANCE_DESCRIPTION: "DBT skills, one clip at a time." },
  });
  const db = t.database.db;
  // Active this month: the channel owner (signed in, uploaded).
  const channel = await createTestChannel(haven, "ana", "calm");
  // Signed in 100 days ago only: active this half-year, not this month.
  const old = await createAccount(db, { username: "olga", password: "correct horse battery" });
  if (!old.ok) throw new Error(old.error.message);
  await db.insert(apiTokens).values({
    accountId: old.value.account.id,
    name: "old",
    scopes: ["read"],
    expiresAt: new Date(Date.now() - 70 * DAY),
    createdAt: new Date(Date.now() - 100 * DAY),
  });
  // Never active.
  const idle = await createAccount(db, { username: "ida", password: "correct horse battery" });
  if (!idle.ok) throw new Error(idle.error.message);

  const published = await publishVideo(haven, channel, {}, { event: false });
  await publishVideo(haven, channel, {}, { event: false });
  await publishVideo(haven, channel, { state: "processing" }, { event: false });
  await publishVideo(haven, channel, { state: "deleted", deletedAt: new Date() }, { event: false });
  // A reply from another server is not a local comment.
  const author = await upsertRemoteActor(db, {
    iri: "https://elsewhere.example/users/zoe",
    type: "Person",
    handle: "zoe@elsewhere.example",
    inboxUrl: "https://elsewhere.example/users/zoe/inbox",
    sharedInboxUrl: null,
    displayName: "Zoe",
    url: null,
    raw: null,
  });
  await db.insert(videoComments).values({
    iri: "https://elsewhere.example/notes/1",
    videoId: published.id,
    authorId: author.id,
    inReplyToIri: `${haven.origin}/notes/${published.id}`,
    content: "<p>Thank you</p>",
    state: "visible",
  });
});
afterAll(async () => {
  await haven?.close();
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("/.well-known/nodeinfo", () => {
  test("links 2.0 (what Mastodon and PeerTube read) and 2.1, with CORS", async () => {
    const res = await fetch(`${haven.origin}/.well-known/nodeinfo`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toEqual({
      links: [
        {
          rel: "http://nodeinfo.diaspora.software/ns/schema/2.0",
          href: `${haven.origin}/nodeinfo/2.0`,
        },
        {
          rel: "http://nodeinfo.diaspora.software/ns/schema/2.1",
          href: `${haven.origin}/nodeinfo/2.1`,
        },
      ],
    });
  });

  test("a CORS preflight is answered", async () => {
    const res = await fetch(`${haven.origin}/nodeinfo/2.0`, {
      method: "OPTIONS",
      headers: { Origin: "https://tool.example", "Access-Control-Request-Method": "GET" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("GET");
  });
});

describe.each(["2.0", "2.1"] as const)("/nodeinfo/%s", (version) => {
  const get = () =>
    fetch(`${haven.origin}/nodeinfo/${version}`, { headers: { Accept: "application/json" } });

  test("validates against its schema, with the profile Content-Type", async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(
      `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/${version}#"`,
    );
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const doc = await res.json();
    expect(nodeInfoSchemaProblems(version, doc)).toEqual([]);
    expect(doc.version).toBe(version);
    expect(doc.software.name).toBe("haven");
    if (version === "2.0") {
      expect(Object.keys(doc.software).sort()).toEqual(["name", "version"]);
    } else {
      expect(doc.software.repository).toMatch(/^https:\/\//);
    }
  });

  test("honest usage: accounts, their recent activity, published videos, no local comments", async () => {
    const doc = await (await get()).json();
    expect(doc.usage).toEqual({
      users: { total: 3, activeMonth: 1, activeHalfyear: 2 },
      localPosts: 2,
      localComments: 0,
    });
    expect(doc.openRegistrations).toBe(false);
    expect(doc.metadata).toEqual({
      nodeName: "Calm Waters",
      nodeDescription: "DBT skills, one clip at a time.",
      taxonomy: { postsName: "Videos" },
    });
  });

  test("HEAD answers the headers only", async () => {
    const res = await fetch(`${haven.origin}/nodeinfo/${version}`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain(`schema/${version}#`);
    expect(await res.text()).toBe("");
  });
});

test("an unknown version is not served", async () => {
  expect((await fetch(`${haven.origin}/nodeinfo/1.0`)).status).toBe(404);
});

test("the usage windows are 30 and 180 days", async () => {
  const db = t.database.db;
  const later = new Date(Date.now() + 31 * DAY);
  expect(await readUsageStats(db, later)).toMatchObject({ activeMonth: 0, activeHalfyear: 2 });
  const muchLater = new Date(Date.now() + 200 * DAY);
  expect(await readUsageStats(db, muchLater)).toMatchObject({ activeMonth: 0, activeHalfyear: 0 });
});

test("the schema check catches what the schemas forbid", () => {
  const base = {
    version: "2.0",
    software: { name: "haven", version: "1" },
    protocols: ["activitypub"],
    services: { inbound: [], outbound: [] },
    openRegistrations: false,
    usage: { users: {} },
    metadata: {},
  };
  expect(nodeInfoSchemaProblems("2.0", base)).toEqual([]);
  expect(
    nodeInfoSchemaProblems("2.0", {
      ...base,
      software: { name: "Haven", version: "1", homepage: "x" },
    }),
  ).toEqual(["software.name does not match ^[a-z0-9-]+$", 'software: unexpected "homepage"']);
  expect(nodeInfoSchemaProblems("2.1", { ...base, version: "2.1", $schema: "x" })).toEqual([
    'top level: unexpected "$schema"',
  ]);
});
