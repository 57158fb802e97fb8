import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  announce,
  createNote,
  type FakeActor,
  type FakeRemote,
  follow,
  generateRsaKeyPair,
  httpRequest,
  startFakeRemote,
  WebFingerResolutionError,
} from "../support/fake-remote/index.ts";

let mastodon: FakeRemote;
let peertube: FakeRemote;
let alice: FakeActor; // on Mastodon
let bob: FakeActor; // on PeerTube

beforeAll(async () => {
  [mastodon, peertube] = await Promise.all([
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
  ]);
  [alice, bob] = await Promise.all([mastodon.addActor("alice"), peertube.addActor("bob")]);
});
afterAll(async () => {
  await Promise.all([mastodon?.close(), peertube?.close()]);
});
beforeEach(() => {
  expect.hasAssertions();
  mastodon.clearDeliveries();
  peertube.clearDeliveries();
  mastodon.setInboxBehaviour(null);
  peertube.setInboxBehaviour(null);
});

describe("documents", () => {
  test("actors are served at each software's paths with one SPKI key", async () => {
    expect(alice.id).toBe(`${mastodon.origin}/users/alice`);
    expect(alice.keyId).toBe(`${alice.id}#main-key`);
    expect(bob.id).toBe(`${peertube.origin}/accounts/bob`);
    expect(bob.signingKeyId).toBe(bob.id);
    const res = await httpRequest({
      method: "GET",
      url: alice.id,
      headers: { Accept: "application/activity+json" },
    });
    expect(res.headers["content-type"]).toMatch(/^application\/activity\+json/);
    const doc = JSON.parse(res.body);
    expect(doc).toMatchObject({
      id: alice.id,
      type: "Person",
      preferredUsername: "alice",
      inbox: `${alice.id}/inbox`,
      endpoints: { sharedInbox: `${mastodon.origin}/inbox` },
      publicKey: { id: alice.keyId, owner: alice.id },
    });
    expect(doc.publicKey.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  test("WebFinger and NodeInfo 2.0", async () => {
    const wf = await fetch(
      `${mastodon.origin}/.well-known/webfinger?resource=acct:alice@${mastodon.domain}`,
    );
    expect(wf.headers.get("content-type")).toMatch(/^application\/jrd\+json/);
    const jrd = await wf.json();
    expect(jrd.subject).toBe(`acct:alice@${mastodon.domain}`);
    expect(jrd.links).toContainEqual({
      rel: "self",
      type: "application/activity+json",
      href: alice.id,
    });
    const missing = await fetch(`${mastodon.origin}/.well-known/webfinger?resource=acct:zed@x`);
    expect(missing.status).toBe(404);

    for (const [remote, path] of [
      [mastodon, "/nodeinfo/2.0"],
      [peertube, "/nodeinfo/2.0.json"],
    ] as const) {
      const links = await (await fetch(`${remote.origin}/.well-known/nodeinfo`)).json();
      expect(links.links[0].href).toBe(`${remote.origin}${path}`);
      const info = await (await fetch(links.links[0].href)).json();
      expect(info.software.name).toBe(remote.kind);
    }
  });
});

describe("signed deliveries between two fakes", () => {
  test("Mastodon → PeerTube personal inbox: verified, key fetched over HTTP", async () => {
    const activity = follow(alice, bob.id);
    const res = await mastodon.send("alice", bob.inbox, activity);
    expect(res.status).toBe(204);
    const delivery = await peertube.waitForDelivery((d) => d.body?.id === activity.id);
    expect(delivery).toMatchObject({
      inbox: "personal",
      actorUsername: "bob",
      verified: true,
      signer: { keyId: alice.keyId, owner: alice.id },
      status: 204,
    });
    expect(delivery.headers.signature).toContain(
      'headers="(request-target) host date digest content-type"',
    );
    expect(peertube.outboundRequests).toContainEqual(
      expect.objectContaining({ method: "GET", url: alice.id, status: 200, signed: false }),
    );
    // The sender now serves the activity by id, so the receiver could re-fetch it.
    const served = await httpRequest({ method: "GET", url: activity.id });
    expect(JSON.parse(served.body).id).toBe(activity.id);
  });

  test("PeerTube (keyId = actor URL, known key) → Mastodon shared inbox", async () => {
    const activity = announce(peertube.instanceActor, `${peertube.origin}/videos/watch/1`);
    const res = await peertube.send(peertube.instanceActor, `${mastodon.origin}/inbox`, activity);
    expect(res.status).toBe(202);
    const delivery = await mastodon.waitForDelivery((d) => d.body?.id === activity.id);
    expect(delivery).toMatchObject({ inbox: "shared", verified: true });
    expect(delivery.signer?.keyId).toBe(`${peertube.origin}/accounts/peertube`);
    expect(delivery.headers.signature).toContain('headers="(request-target) host date digest"');
  });

  test("a body changed after signing is refused with 401 and recorded", async () => {
    const activity = createNote(alice, { content: "hi", inReplyTo: bob.id });
    const res = await mastodon.send("alice", bob.inbox, activity, {
      bodyAfterSigning: JSON.stringify({ ...activity, actor: bob.id }),
    });
    expect(res.status).toBe(401);
    const delivery = await peertube.waitForDelivery(() => true);
    expect(delivery).toMatchObject({ verified: false, reason: "digest-mismatch" });
  });

  test("signed by another key than the actor's, or for another actor → 401", async () => {
    const mallory = await generateRsaKeyPair();
    const forged = await mastodon.send("alice", bob.inbox, follow(alice, bob.id), {
      privateKeyPem: mallory.privateKeyPem,
    });
    expect(forged.status).toBe(401);
    // alice's valid signature on an activity claiming to be bob's.
    const impersonation = await mastodon.send("alice", bob.inbox, follow(bob, alice.id));
    expect(impersonation.status).toBe(401);
    expect(peertube.deliveries.map((d) => d.reason)).toEqual(["bad-signature", "actor-mismatch"]);
  });

  test("a missing key answers 401 with key-not-found", async () => {
    const res = await mastodon.send("alice", bob.inbox, follow(alice, bob.id), {
      keyId: `${mastodon.origin}/users/nobody#main-key`,
    });
    expect(res.status).toBe(401);
    expect(peertube.deliveries[0]).toMatchObject({ reason: "key-not-found" });
  });
});

describe("WebFinger resolution, Mastodon's way", () => {
  test("resolves an actor on the other fake, with the loop-back check", async () => {
    const actor = await mastodon.resolveWebFinger(`bob@${peertube.domain}`, peertube.origin);
    expect(actor.id).toBe(bob.id);
    const webfingers = mastodon.outboundRequests.filter((r) => r.url.includes("webfinger"));
    expect(webfingers.length).toBeGreaterThanOrEqual(2);
  });

  test("an unknown account fails with a precise reason", async () => {
    const error = await mastodon
      .resolveWebFinger(`nobody@${peertube.domain}`, peertube.origin)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebFingerResolutionError);
    expect((error as Error).message).toMatch(/answered 404/);
  });

  test("an actor whose own host does not vouch for it is refused", async () => {
    // A host whose WebFinger binds liar@ to an actor calling itself "someone-else", for whom
    // the same host has no WebFinger: the loop-back must fail.
    const liar = await startStub((url, origin) => {
      const resource = url.searchParams.get("resource");
      if (url.pathname === "/.well-known/webfinger" && resource === `acct:liar@${url.host}`) {
        return {
          subject: resource,
          links: [{ rel: "self", type: "application/activity+json", href: `${origin}/actors/1` }],
        };
      }
      if (url.pathname !== "/actors/1") return undefined;
      return {
        id: `${origin}/actors/1`,
        type: "Person",
        preferredUsername: "someone-else",
        inbox: `${origin}/actors/1/inbox`,
      };
    });
    try {
      const error = await mastodon
        .resolveWebFinger(`liar@${liar.host}`, liar.origin)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebFingerResolutionError);
      expect((error as Error).message).toMatch(/loop-back WebFinger for someone-else@/);
    } finally {
      await new Promise((r) => liar.server.close(r));
    }
  });
});

describe("authorized fetch (secure mode)", () => {
  test("unsigned GETs are refused; signed key fetches and signed GETs work", async () => {
    const secure = await startFakeRemote({
      kind: "mastodon",
      host: "127.0.0.4",
      authorizedFetch: true,
    });
    const gts = await startFakeRemote({ kind: "gotosocial", host: "127.0.0.5" });
    try {
      const carol = await secure.addActor("carol");
      const unsigned = await httpRequest({ method: "GET", url: carol.id });
      expect(unsigned.status).toBe(401);

      // GoToSocial signs its GETs with a keyId of its own path (…/main-key).
      const actor = await gts.resolveWebFinger(`carol@${secure.domain}`, secure.origin);
      expect(actor.id).toBe(carol.id);
      expect(gts.outboundRequests).toContainEqual(
        expect.objectContaining({ url: carol.id, signed: true, status: 200 }),
      );

      // The secure instance fetches the sender's key with a signed GET.
      const res = await peertube.send("bob", carol.inbox, follow(bob, carol.id));
      expect(res.status).toBe(202);
      expect(secure.outboundRequests).toContainEqual(
        expect.objectContaining({ url: bob.id, signed: true, status: 200 }),
      );
    } finally {
      await Promise.all([secure.close(), gts.close()]);
    }
  });
});

describe("fault injection", () => {
  test("500 three times, then 202: one delivery, four attempts", async () => {
    mastodon.setInboxBehaviour({ status: 500, times: 3 });
    const activity = follow(bob, alice.id);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await peertube.send("bob", alice.inbox, activity)).status);
    }
    expect(statuses).toEqual([500, 500, 500, 202]);
    expect(mastodon.attempts.map((a) => a.injected)).toEqual([true, true, true, false]);
    expect(mastodon.deliveries).toHaveLength(1);
    expect(mastodon.deliveries[0]).toMatchObject({ verified: true, attemptNumber: 4 });
  });

  test("a behaviour function: 429 with Retry-After, then 410 Gone", async () => {
    mastodon.setInboxBehaviour((attempt) =>
      attempt.attemptNumber === 1
        ? { status: 429, headers: { "Retry-After": "120" } }
        : { status: 410 },
    );
    const first = await peertube.send("bob", alice.inbox, follow(bob, alice.id));
    const second = await peertube.send("bob", alice.inbox, follow(bob, alice.id));
    expect([first.status, first.headers["retry-after"], second.status]).toEqual([429, "120", 410]);
  });

  test("a hanging inbox times the sender out; the remote still closes", async () => {
    const remote = await startFakeRemote({ kind: "mastodon", host: "127.0.0.6" });
    const dave = await remote.addActor("dave");
    remote.setInboxBehaviour({ hang: true });
    const sending = peertube.send("bob", dave.inbox, follow(bob, dave.id), { timeoutMs: 300 });
    await expect(sending).rejects.toThrow(/timed out/);
    await remote.close();
    expect(remote.attempts).toHaveLength(1);
  });

  test("waitForDelivery times out listing what arrived", async () => {
    const activity = follow(alice, bob.id);
    await mastodon.send("alice", bob.inbox, activity);
    const waiting = peertube.waitForDelivery((d) => d.body?.type === "Like", { timeoutMs: 200 });
    await expect(waiting).rejects.toThrow(activity.id);
  });
});

/** A bare JSON server for hostile-peer cases the fakes will not produce. */
async function startStub(route: (url: URL, origin: string) => unknown) {
  let origin = "";
  const server: Server = createServer((req, res) => {
    const body = route(new URL(req.url ?? "/", origin), origin);
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "application/activity+json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.7", resolve));
  const host = `127.0.0.7:${(server.address() as AddressInfo).port}`;
  origin = `http://${host}`;
  return { server, host, origin };
}
