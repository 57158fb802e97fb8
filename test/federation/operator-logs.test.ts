/**
 * What an operator reads: one line per request at `debug`, refused inbox
 * POSTs with their reason at `info`, and ordinary fediverse traffic (an
 * `Add`, a reply that links its Note) never as a warning or an error. The
 * records are caught by an in-memory sink in place of the console.
 */
import { type LogRecord, reset } from "@logtape/logtape";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { ModerationGate } from "../../federation/context.ts";
import { setupLogging } from "../../src/logging.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  createNote,
  type FakeActor,
  type FakeRemote,
  follow,
  httpRequest,
  PUBLIC,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { EVERY_QUEUE, inboxDrained } from "./inbox-drained.ts";

const BLOCKED_HOST = "127.0.0.9";
const accept = { action: "accept", rejectMedia: false, rejectReports: false } as const;
const reject = { action: "reject", rejectMedia: true, rejectReports: true } as const;
const moderation: ModerationGate = {
  decideForDomain: async (host) => (host === BLOCKED_HOST ? reject : accept),
  decideForActor: async (iri) => (new URL(iri).hostname === BLOCKED_HOST ? reject : accept),
};

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let blocked: FakeRemote;
let alice: FakeActor;
let mallory: FakeActor;
const records: LogRecord[] = [];

const inbox = () => `${haven.origin}/inbox`;
const channel = () => `${haven.origin}/users/channel`;
const lines = (category: string) => records.filter((r) => r.category.join(".") === category);
const loud = () => records.filter((r) => r.level === "warning" || r.level === "error");
const refusals = () =>
  lines("haven.http").filter((r) => r.rawMessage.toString().startsWith("Refused"));

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, blocked] = await Promise.all([
    startHaven(t.database, { overrides: { moderation } }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "mastodon", host: BLOCKED_HOST }),
  ]);
  const owner = await haven.createUser("creator");
  const res = await fetch(`${haven.origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${owner.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "channel" }),
  });
  expect(res.status).toBe(201);
  [alice, mallory] = await Promise.all([mastodon.addActor("alice"), mastodon.addActor("mallory")]);
  await blocked.addActor("troll");
});
afterAll(async () => {
  await reset();
  await haven?.close();
  await Promise.all([mastodon?.close(), blocked?.close()]);
  await t?.close();
});
beforeEach(async () => {
  await setupLogging("debug", { sink: (record) => records.push(record) });
  records.length = 0;
});

describe("LOG_LEVEL=debug", () => {
  test("one line per request: method, path, status, time, remote address", async () => {
    const res = await fetch(`${haven.origin}/healthz?token=secret`);
    expect(res.status).toBe(200);
    const [line, ...more] = lines("haven.http");
    expect(more).toEqual([]);
    expect(line?.level).toBe("debug");
    expect(line?.properties).toMatchObject({
      method: "GET",
      path: "/healthz",
      status: 200,
      remote: "127.0.0.1",
    });
    expect(line?.properties.ms).toEqual(expect.any(Number));
    // The query string (which may carry a token) is not logged.
    expect(JSON.stringify(line?.message)).not.toContain("secret");
  });

  test("an unsigned inbox POST: one info line with the reason", async () => {
    const res = await httpRequest({
      method: "POST",
      url: inbox(),
      body: JSON.stringify(follow(alice, channel())),
      headers: { "Content-Type": "application/activity+json" },
    });
    expect(res.status).toBe(401);
    const [line, ...more] = refusals();
    expect(more).toEqual([]);
    expect(line?.level).toBe("info");
    expect(line?.properties).toMatchObject({
      method: "POST",
      path: "/inbox",
      status: 401,
      keyId: "none",
      reason: "request is not signed",
    });
    expect(loud()).toEqual([]);
  });

  test("a malformed body: info line with the reason", async () => {
    const res = await httpRequest({
      method: "POST",
      url: inbox(),
      body: "{not json",
      headers: { "Content-Type": "application/activity+json" },
    });
    expect(res.status).toBe(400);
    expect(refusals().map((r) => [r.level, r.properties.reason])).toEqual([
      ["info", "body is not valid JSON"],
    ]);
    expect(loud()).toEqual([]);
  });

  test("a signature that does not verify: info line naming the key and why", async () => {
    // mallory's key under alice's keyId.
    const res = await mastodon.send("alice", inbox(), follow(alice, channel()), {
      privateKeyPem: mallory.keys.privateKeyPem,
    });
    expect(res.status).toBe(401);
    const [line, ...more] = refusals();
    expect(more).toEqual([]);
    expect(line?.level).toBe("info");
    expect(line?.properties).toMatchObject({ status: 401, keyId: alice.keyId });
    expect(line?.properties.reason).toMatch(/^signature not verified \(\w+\)$/);
    expect(loud()).toEqual([]);
  });

  test("a blocked domain: info line, 403", async () => {
    const troll = blocked.actor("troll");
    const res = await blocked.send(troll, inbox(), follow(troll, channel()));
    expect(res.status).toBe(403);
    expect(refusals().map((r) => r.properties)).toMatchObject([
      { status: 403, keyId: troll.keyId, reason: "this server does not federate with you" },
    ]);
    expect(loud()).toEqual([]);
  });

  test("an Add and a reply that links its Note are neither warnings nor errors", async () => {
    const note = createNote(alice, { content: "<p>hi</p>", inReplyTo: `${haven.origin}/x` });
    const linked = { ...note, object: (note.object as { id: string }).id };
    mastodon.serve(note.object as { id: string });
    const add = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${alice.id}#adds/1`,
      type: "Add",
      actor: alice.id,
      object: (note.object as { id: string }).id,
      target: `${alice.id}/collections/featured`,
      to: [PUBLIC],
    };
    for (const activity of [linked, add]) {
      expect((await mastodon.send("alice", inbox(), activity)).status).toBe(202);
    }
    await inboxDrained(t.database.db, EVERY_QUEUE);
    expect(loud()).toEqual([]);
    // Still there for whoever debugs federation.
    expect(
      records.some((r) => r.level === "debug" && r.rawMessage.toString().includes("Unsupported")),
    ).toBe(true);
  });
});

test("LOG_LEVEL=info: refusals are logged, ordinary requests and Fedify's debug lines are not", async () => {
  await setupLogging("info", { sink: (record) => records.push(record) });
  expect((await fetch(`${haven.origin}/healthz`)).status).toBe(200);
  const res = await mastodon.send("alice", inbox(), follow(alice, channel()), {
    privateKeyPem: mallory.keys.privateKeyPem,
  });
  expect(res.status).toBe(401);
  expect(records.map((r) => [r.level, r.category.join(".")])).toEqual([["info", "haven.http"]]);
  expect(refusals()[0]?.properties.reason).toMatch(/^signature not verified/);
});
