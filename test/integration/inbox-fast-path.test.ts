/**
 * InboxFastPath on its own (ADR 0008): what it learns, what it accepts, the exact message it
 * enqueues for Fedify's worker, and every "not the plain case" it leaves to Fedify. A real
 * database (for the recipient check), Fedify's in-memory KV, a queue that records, and the
 * test rig's own signer.
 */
import { generateKeyPairSync } from "node:crypto";
import { MemoryKvStore, type MessageQueue, type MessageQueueEnqueueOptions } from "@fedify/fedify";
import { CryptographicKey } from "@fedify/vocab";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type GuardedInboxPost, InboxFastPath } from "../../federation/http/inbox-fast-path.ts";
import { createAccount } from "../../src/accounts/account.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { signRequest } from "../support/http-signatures.ts";

const ORIGIN = "https://haven.example";
const REMOTE = "https://remote.example";
const AS = "https://www.w3.org/ns/activitystreams";

/** A MessageQueue that only records what was enqueued. */
class RecordingQueue implements MessageQueue {
  readonly messages: unknown[] = [];
  async enqueue(message: unknown, _options?: MessageQueueEnqueueOptions): Promise<void> {
    this.messages.push(message);
  }
  async listen(): Promise<void> {}
}

interface Remote {
  id: string;
  keyId: string;
  privateKeyPem: string;
  key: CryptographicKey;
}

async function remoteActor(name: string): Promise<Remote> {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const id = `${REMOTE}/users/${name}`;
  const publicKey = await crypto.subtle.importKey(
    "spki",
    pair.publicKey.export({ format: "der", type: "spki" }),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    true,
    ["verify"],
  );
  return {
    id,
    keyId: `${id}#main-key`,
    privateKeyPem: pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    key: new CryptographicKey({ id: new URL(`${id}#main-key`), owner: new URL(id), publicKey }),
  };
}

let n = 0;
function like(actor: Remote, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "@context": AS,
    id: `${actor.id}/likes/${++n}`,
    type: "Like",
    actor: actor.id,
    object: `${ORIGIN}/videos/x`,
    ...extra,
  };
}

/** A signed inbox POST as guardInbox hands it on. */
function post(
  signer: Remote,
  activity: unknown,
  options: {
    path?: string;
    actorId?: string;
    headers?: Record<string, string>;
    sign?: Partial<Parameters<typeof signRequest>[0]>;
  } = {},
): GuardedInboxPost {
  const url = `${ORIGIN}${options.path ?? "/inbox"}`;
  const body = JSON.stringify(activity);
  const headers = signRequest({
    method: "POST",
    url,
    body,
    keyId: signer.keyId,
    privateKeyPem: signer.privateKeyPem,
    ...options.sign,
  });
  const request = new Request(url, {
    method: "POST",
    headers: { ...headers, ...options.headers },
    body,
  });
  const actorId = new URL(options.actorId ?? (activity as { actor: string }).actor ?? signer.id);
  // As the guard parses it: from the bytes.
  return { request, body: new TextEncoder().encode(body), activity: JSON.parse(body), actorId };
}

/** The same POST with its Signature header rewritten. */
function withSignature(p: GuardedInboxPost, edit: (value: string) => string): GuardedInboxPost {
  const headers = new Headers(p.request.headers);
  headers.set("signature", edit(headers.get("signature") ?? ""));
  return {
    ...p,
    request: new Request(p.request.url, { method: "POST", headers, body: new Uint8Array(p.body) }),
  };
}

let t: TestDatabase;
let queue: RecordingQueue;
let fast: InboxFastPath;
let alice: Remote;
let mallory: Remote;
const db = () => t.database.db;

beforeAll(async () => {
  t = await createTestDatabase();
  const created = await createAccount(db(), { username: "carer", password: "correct horse" });
  expect(created.ok).toBe(true);
  [alice, mallory] = await Promise.all([remoteActor("alice"), remoteActor("mallory")]);
});
afterAll(async () => {
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
  queue = new RecordingQueue();
  fast = new InboxFastPath({ queue, kv: new MemoryKvStore() });
});

describe("learning a key", () => {
  test("only a key that verifies the request and belongs to its actor", () => {
    const p = post(alice, like(alice));
    expect(fast.learn(p, mallory.key)).toBe(false); // does not verify
    expect(fast.learn(p, null)).toBe(false);
    const claimed = new CryptographicKey({
      id: new URL(alice.keyId),
      owner: new URL(mallory.id),
      publicKey: alice.key.publicKey,
    });
    expect(fast.learn(p, claimed)).toBe(false); // owner is not the activity's actor
    expect(fast.keys.size).toBe(0);
    expect(fast.learn(p, alice.key)).toBe(true);
    expect(fast.keys.get(alice.keyId)?.owner).toBe(alice.id);
  });
});

describe("accepting", () => {
  test("enqueues exactly the message Fedify's routeActivity enqueues, answers as Fedify does", async () => {
    fast.learn(post(alice, like(alice)), alice.key);
    const activity = like(alice);
    const before = Date.now();
    const outcome = await fast.accept(post(alice, activity), db());
    expect(outcome.accepted).toBe(true);
    if (!outcome.accepted) return;
    expect(outcome.response.status).toBe(202);
    expect(await outcome.response.text()).toBe("Activity is enqueued.");
    expect(outcome.response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(queue.messages).toEqual([
      {
        type: "inbox",
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        baseUrl: ORIGIN,
        activity,
        identifier: null,
        attempt: 0,
        started: expect.any(String),
        traceContext: {},
      },
    ]);
    const started = Date.parse((queue.messages[0] as { started: string }).started);
    expect(started).toBeGreaterThanOrEqual(before - 1000);
    expect(fast.stats.accepted).toBe(1);
  });

  test("a personal inbox: the recipient as written in the path; unknown ones go to Fedify", async () => {
    fast.learn(post(alice, like(alice)), alice.key);
    const known = await fast.accept(post(alice, like(alice), { path: "/users/Carer/inbox" }), db());
    expect(known.accepted).toBe(true);
    expect(queue.messages).toMatchObject([{ identifier: "Carer" }]);
    const unknown = await fast.accept(
      post(alice, like(alice), { path: "/users/nobody/inbox" }),
      db(),
    );
    expect(unknown).toEqual({ accepted: false, reason: "recipient-unknown" });
    expect(queue.messages).toHaveLength(1);
  });

  test("mallory's cached key cannot speak for alice", async () => {
    fast.learn(post(mallory, like(mallory)), mallory.key);
    const forged = post(mallory, like(alice));
    expect(await fast.accept(forged, db())).toEqual({ accepted: false, reason: "not-owner" });
    expect(queue.messages).toEqual([]);
  });

  test("a key that no longer verifies is dropped (rotation), and Fedify decides", async () => {
    fast.learn(post(alice, like(alice)), alice.key);
    const rotated = { ...alice, privateKeyPem: mallory.privateKeyPem };
    expect(await fast.accept(post(rotated, like(alice)), db())).toEqual({
      accepted: false,
      reason: "bad-signature",
    });
    expect(fast.keys.get(alice.keyId)).toBeUndefined();
    expect(queue.messages).toEqual([]);
  });

  test("digest mismatch and a Date outside ±1 h are left to Fedify, which refuses them", async () => {
    fast.learn(post(alice, like(alice)), alice.key);
    const tampered = post(alice, like(alice));
    const changed = post(alice, like(alice)); // another body, same signature headers
    const mismatch = { ...changed, request: tampered.request };
    const stale = post(alice, like(alice), { sign: { date: new Date(Date.now() - 61 * 60_000) } });
    const ahead = post(alice, like(alice), { sign: { date: new Date(Date.now() + 61 * 60_000) } });
    for (const p of [mismatch, stale, ahead]) {
      expect(await fast.accept(p, db())).toEqual({ accepted: false, reason: "rejected" });
    }
    const recent = post(alice, like(alice), { sign: { date: new Date(Date.now() - 59 * 60_000) } });
    expect((await fast.accept(recent, db())).accepted).toBe(true);
    expect(queue.messages).toHaveLength(1);
    expect(fast.keys.get(alice.keyId)).toBeDefined();
  });
});

describe("not the plain case: left to Fedify, nothing enqueued", () => {
  const cases: [string, () => GuardedInboxPost][] = [
    [
      "an RFC 9421 Signature-Input beside",
      () =>
        post(alice, like(alice), { headers: { "Signature-Input": 'sig=("@method");keyid="x"' } }),
    ],
    [
      "a (created) parameter",
      () =>
        post(alice, like(alice), {
          sign: { headersToSign: ["(request-target)", "(created)", "host", "date", "digest"] },
        }),
    ],
    ["a query string", () => post(alice, like(alice), { path: "/inbox?x=1" })],
    ["another path", () => post(alice, like(alice), { path: "/users/carer/outbox" })],
    ["no @context", () => post(alice, { ...like(alice), "@context": undefined })],
    [
      "a context Fedify would fetch",
      () => post(alice, like(alice, { "@context": [AS, "https://remote.example/ctx"] })),
    ],
    [
      "a scoped context inside",
      () =>
        post(
          alice,
          like(alice, {
            "@context": [AS, { x: { "@id": "as:x", "@context": "https://remote.example/ctx" } }],
          }),
        ),
    ],
    [
      "a Linked Data signature",
      () => post(alice, like(alice, { signature: { type: "RsaSignature2017" } })),
    ],
    [
      "an integrity proof",
      () => post(alice, like(alice, { proof: { type: "DataIntegrityProof" } })),
    ],
    ["a type we have no listener for", () => post(alice, like(alice, { type: "View" }))],
    [
      "an embedded actor",
      () => post(alice, like(alice, { actor: { id: alice.id } }), { actorId: alice.id }),
    ],
    ["no id", () => post(alice, like(alice, { id: undefined }))],
    ["a SHA-512 digest", () => post(alice, like(alice), { sign: { digestAlgorithm: "SHA-512" } })],
    [
      "an algorithm other than rsa-sha256/hs2019",
      () => withSignature(post(alice, like(alice)), (v) => v.replace("rsa-sha256", "rsa-sha512")),
    ],
  ];
  test.each(cases)("%s", async (_name, make) => {
    fast.learn(post(alice, like(alice)), alice.key);
    const outcome = await fast.accept(make(), db());
    expect(outcome).toEqual({ accepted: false, reason: "unusual" });
    expect(queue.messages).toEqual([]);
  });

  test("a key never learned", async () => {
    expect(await fast.accept(post(alice, like(alice)), db())).toEqual({
      accepted: false,
      reason: "key-unknown",
    });
  });
});
