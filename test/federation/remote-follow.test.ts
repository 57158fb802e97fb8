/**
 * "Follow from your instance" on a channel page: a real Haven on loopback and fake Mastodon,
 * PeerTube and GoToSocial servers answering WebFinger as the real software does. No browser:
 * the form is a plain POST, the answer a 303 or the page again with the error.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { type FakeRemote, startFakeRemote } from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let peertube: FakeRemote;
let gotosocial: FakeRemote;
let actorUrl: string;

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, { workers: false });
  [mastodon, peertube, gotosocial] = await Promise.all([
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
    startFakeRemote({ kind: "gotosocial", host: "127.0.0.4" }),
  ]);
  await mastodon.addActor("alice");
  const { token } = await haven.createUser("host");
  const res = await fetch(`${haven.origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "calm", display_name: "Calm corner" }),
  });
  expect(res.status).toBe(201);
  actorUrl = `${haven.origin}/users/calm`;
});
afterAll(async () => {
  await Promise.all([mastodon?.close(), peertube?.close(), gotosocial?.close()]);
  await haven?.close();
  await t?.close();
});

function follow(instance: string, origin = haven.origin, channel = "calm") {
  return fetch(`${origin}/@${channel}/remote-follow`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ instance }),
    redirect: "manual",
  });
}

test("the channel page has the form, labelled, with a Follow button and the handle", async () => {
  const page = await (await fetch(`${haven.origin}/@calm`)).text();
  expect(page).toMatch(/<form method="post" action="\/@calm\/remote-follow"/);
  expect(page).toContain('<label for="remote-instance">Your instance</label>');
  expect(page).toMatch(/<input id="remote-instance" name="instance"/);
  expect(page).toContain('<button type="submit">Follow</button>');
  expect(page).toContain(`@calm@${haven.host}`);
  expect(page).not.toContain("<script");
});

test("you@mastodon: 303 to the template WebFinger gave for the account, with our actor URL", async () => {
  const res = await follow(`@alice@${mastodon.domain}`);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(
    `${mastodon.origin}/authorize_interaction?uri=${encodeURIComponent(actorUrl)}`,
  );
  const asked = mastodon.incomingRequests.filter((r) => r.url.includes("/.well-known/webfinger"));
  expect(asked.map((r) => new URL(r.url).searchParams.get("resource"))).toContain(
    `acct:alice@${mastodon.domain}`,
  );
});

test("a bare domain asks for the instance actor, as Mastodon serves it", async () => {
  const before = mastodon.incomingRequests.length;
  const res = await follow(`  ${mastodon.domain} `);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(
    `${mastodon.origin}/authorize_interaction?uri=${encodeURIComponent(actorUrl)}`,
  );
  const resources = mastodon.incomingRequests
    .slice(before)
    .map((r) => new URL(r.url).searchParams.get("resource"));
  expect(resources).toContain(`acct:${mastodon.domain}@${mastodon.domain}`);
});

test("PeerTube's own template (remote-interaction) is used, not Mastodon's path", async () => {
  await peertube.addActor("bob");
  const res = await follow(`bob@${peertube.domain}`);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(
    `${peertube.origin}/remote-interaction?uri=${encodeURIComponent(actorUrl)}`,
  );
});

test("a server whose WebFinger has no template: Mastodon's authorize_interaction", async () => {
  const res = await follow(gotosocial.domain);
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(
    `${gotosocial.origin}/authorize_interaction?uri=${encodeURIComponent(actorUrl)}`,
  );
  expect(gotosocial.incomingRequests.some((r) => r.url.includes("/.well-known/webfinger"))).toBe(
    true,
  );
});

test.each([
  ["", "Enter your instance."],
  ["not a domain", "is not an instance address"],
  ["localhost", "is not an instance address"],
  ["you@mastodon..social", "is not an instance address"],
  ["https://", "is not an instance address"],
  ["a b@example.com", "is not an instance address"],
])(
  "bad input %j: 400, the form again with the message and the value kept",
  async (input, message) => {
    const res = await follow(input);
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain(message);
    expect(page).toContain('aria-invalid="true"');
    expect(page).toContain('role="alert"');
    expect(page).toContain("Calm corner"); // the channel page itself, not a bare error
  },
);

test("a server that does not answer: the page again, saying so (502), no redirect", async () => {
  // A port nobody listens on (the fake GoToSocial's, after it is gone, would be racy).
  const closed = await startFakeRemote({ kind: "mastodon", host: "127.0.0.5" });
  const domain = closed.domain;
  await closed.close();
  const res = await follow(domain);
  expect(res.status).toBe(502);
  expect(await res.text()).toContain(`Haven could not reach ${domain}`);
});

test("an unknown channel: 404", async () => {
  expect((await follow(mastodon.domain, haven.origin, "nobody")).status).toBe(404);
});

test("GET on the form's address goes back to the form", async () => {
  const res = await fetch(`${haven.origin}/@calm/remote-follow`, { redirect: "manual" });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/@calm#follow");
});

test("with ALLOW_PRIVATE_ADDRESS off, a private address is refused before any request", async () => {
  const strict = await startHaven(t.database, {
    workers: false,
    env: { ALLOW_PRIVATE_ADDRESS: "false" },
  });
  try {
    const before = mastodon.incomingRequests.length;
    for (const input of [mastodon.domain, `alice@${mastodon.domain}`, "[::1]:8080"]) {
      const res = await follow(input, strict.origin);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("private or local network address");
    }
    expect(mastodon.incomingRequests.length).toBe(before);
  } finally {
    await strict.close();
  }
});
