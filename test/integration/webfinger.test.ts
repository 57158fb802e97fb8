import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { answerWebFinger } from "../../federation/webfinger/handler.ts";
import { localActors } from "../../src/db/schema/accounts.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { type FakeRemote, startFakeRemote } from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;

const AVATAR = "https://cdn.example/avatars/creator.PNG";

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon] = await Promise.all([
    startHaven(t.database, { workers: false }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
  ]);
  const owner = await haven.createUser("creator");
  await haven.createUser("plain");
  const res = await fetch(`${haven.origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${owner.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "wf_channel" }),
  });
  expect(res.status).toBe(201);
  await t.database.db
    .update(localActors)
    .set({ avatarUrl: AVATAR, updatedAt: new Date() })
    .where(eq(localActors.handle, "creator"));
});
afterAll(async () => {
  await haven?.close();
  await mastodon?.close();
  await t?.close();
});

const webfingerUrl = (resource: string | null) =>
  `${haven.origin}/.well-known/webfinger${
    resource === null ? "" : `?resource=${encodeURIComponent(resource)}`
  }`;

/** Fedify's own answer (its WebFinger handler, without our middleware in front). */
async function fedifyAnswer(url: string): Promise<Response | null> {
  const notFound = new Response("onNotFound", { status: 404 });
  const res = await haven.deps.federation.fetch(new Request(url), {
    contextData: haven.deps.contextData,
    onNotFound: () => notFound,
  });
  return res === notFound ? null : res;
}

async function shape(res: Response | null) {
  if (res === null) return null;
  return {
    status: res.status,
    body: await res.text(),
    contentType: res.headers.get("content-type"),
    cors: res.headers.get("access-control-allow-origin"),
  };
}

/**
 * Fedify copies the profile page's `type` from the actor's `url` Link; our
 * actors serve `url` as a plain string (PeerTube 6.x reads nothing else),
 * so Fedify's answer lacks the `text/html` type that ours keeps, as
 * Mastodon's own WebFinger does. Everything else must be byte for byte.
 */
function withProfilePageType<T extends { body: string } | null>(answer: T): T {
  if (answer === null) return answer;
  let jrd: { links?: { rel?: string; type?: string }[] };
  try {
    jrd = JSON.parse(answer.body);
  } catch {
    return answer;
  }
  const page = jrd.links?.find((l) => l.rel === "http://webfinger.net/rel/profile-page");
  if (!page || page.type) return answer;
  page.type = "text/html";
  return { ...answer, body: JSON.stringify(jrd) };
}

describe("WebFinger answered before Fedify", () => {
  test("is byte for byte what Fedify 2.3.6 answers, found, unknown and invalid", async () => {
    const o = haven.origin;
    const h = haven.host;
    const resources = [
      `acct:creator@${h}`,
      `acct:wf_channel@${h}`,
      `acct:instance@${h}`,
      `acct:plain@${h}`,
      `acct:Creator@${h.toUpperCase()}`,
      `${o}/users/creator`,
      `${o}/users/wf_channel`,
      `${o}/users/instance?x=1`,
      `${o}/users/Creator`,
      `acct:ghost@${h}`,
      `acct:creator@other.example`,
      `acct:creator@127.0.0.1`,
      "acct:creator",
      `ACCT:creator@${h}`,
      `mailto:creator@${h}`,
      `https://other.example/users/creator`,
      `${o.replace("http:", "https:")}/users/creator`,
      `${o}/users/creator/outbox`,
      `${o}/videos/abc`,
      `${o}/users/ghost`,
      `acct:${"a".repeat(40)}@${h}`,
      "",
      "not a url",
      null,
    ];
    for (const resource of resources) {
      const url = webfingerUrl(resource);
      const ours = await shape(await answerWebFinger(new Request(url), haven.deps.contextData));
      const theirs = await shape(await fedifyAnswer(url));
      expect({ resource, ...ours }).toEqual({ resource, ...withProfilePageType(theirs) });
    }
  });

  test("the JRD for a person (with avatar), a channel and the instance actor", async () => {
    const o = haven.origin;
    const res = await fetch(webfingerUrl(`acct:creator@${haven.host}`));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/jrd+json");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("vary")).toBe("Accept");
    expect(await res.json()).toEqual({
      subject: `acct:creator@${haven.host}`,
      aliases: [`${o}/users/creator`],
      links: [
        { rel: "self", href: `${o}/users/creator`, type: "application/activity+json" },
        { rel: "http://webfinger.net/rel/profile-page", href: `${o}/@creator`, type: "text/html" },
        { rel: "http://webfinger.net/rel/avatar", href: AVATAR, type: "image/png" },
      ],
    });
    for (const name of ["wf_channel", "instance"]) {
      const jrd = await (await fetch(webfingerUrl(`${o}/users/${name}`))).json();
      expect(jrd).toEqual({
        subject: `${o}/users/${name}`,
        aliases: [`acct:${name}@${haven.host}`],
        links: [
          { rel: "self", href: `${o}/users/${name}`, type: "application/activity+json" },
          {
            rel: "http://webfinger.net/rel/profile-page",
            href: `${o}/@${name}`,
            type: "text/html",
          },
        ],
      });
    }
  });

  test("also answers a bare NAME@HOST and the profile page URL, which Fedify did not", async () => {
    const o = haven.origin;
    const bare = await (await fetch(webfingerUrl(`wf_channel@${haven.host}`))).json();
    expect(bare.subject).toBe(`acct:wf_channel@${haven.host}`);
    expect(bare.links[0].href).toBe(`${o}/users/wf_channel`);
    const page = await (await fetch(webfingerUrl(`${o}/@wf_channel`))).json();
    expect(page.subject).toBe(`${o}/@wf_channel`);
    expect(page.aliases).toEqual([`acct:wf_channel@${haven.host}`, `${o}/users/wf_channel`]);
    expect((await fetch(webfingerUrl(`ghost@${haven.host}`))).status).toBe(404);
    expect((await fetch(webfingerUrl("creator@other.example"))).status).toBe(404);
  });

  test("unknown is the app's 404, missing or invalid resource is 400, HEAD has no body", async () => {
    const unknown = await fetch(webfingerUrl(`acct:ghost@${haven.host}`));
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("Not found");
    expect(unknown.headers.get("vary")).toBe("Accept");
    const missing = await fetch(webfingerUrl(null));
    expect(missing.status).toBe(400);
    expect(await missing.text()).toBe("Missing resource parameter.");
    expect((await fetch(webfingerUrl("not a url"))).status).toBe(400);
    const head = await fetch(webfingerUrl(`acct:creator@${haven.host}`), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("application/jrd+json");
    expect(await head.text()).toBe("");
  });

  test("a Mastodon resolves people and channels through it (WebFinger, actor, loop-back)", async () => {
    for (const name of ["creator", "wf_channel"]) {
      const actor = await mastodon.resolveWebFinger(`${name}@${haven.host}`, haven.origin);
      expect(actor.id).toBe(`${haven.origin}/users/${name}`);
      expect(actor.preferredUsername).toBe(name);
    }
  });
});
