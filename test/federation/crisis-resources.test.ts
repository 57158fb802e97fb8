/**
 * Crisis resources and counts, end to end against a real Haven and a fake
 * Mastodon: the resources on every page and in each channel's profile
 * fields (an Update reaches followers when they change), the follower count
 * hidden by default from pages, the API and the followers collection, and a
 * channel's optional "Support:" line on its content-warned Notes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { findChannel } from "../../src/channels/channel.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { followChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";

const AP = "application/activity+json";
const DEFAULT_TEXT =
  "If you are in crisis, please contact local emergency services or a crisis line.";
const RESOURCES = {
  text: "If you might act on thoughts of suicide, call now.",
  entries: [
    { label: "Samaritans", phone: "116 123", region: "UK" },
    { label: "988 Lifeline", url: "https://988lifeline.org/", region: "US" },
  ],
};

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let alice: FakeActor;
let admin: string;
let owner: string;
let stranger: string;
let channel: TestChannel;

async function api(path: string, token: string | null, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  if (init.body) headers.set("Content-Type", "application/json");
  return fetch(`${haven.origin}${path}`, { ...init, headers });
}
const settings = (body: unknown) =>
  api("/api/v1/admin/instance_settings", admin, { method: "PATCH", body: JSON.stringify(body) });
const page = async (path: string) => {
  const res = await fetch(`${haven.origin}${path}`, { headers: { Accept: "text/html" } });
  expect(res.status).toBe(200);
  return res.text();
};
const actorDoc = async () =>
  JSON.parse((await mastodon.get(channel.groupId, { accept: AP })).body) as JsonObject;
const followersCollection = async () =>
  JSON.parse(
    (await mastodon.get(`${channel.groupId}/followers`, { accept: AP })).body,
  ) as JsonObject;

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
  ]);
  alice = await mastodon.addActor("alice");
  ({ token: admin } = await haven.createUser("ada", { admin: true }));
  ({ token: owner } = await haven.createUser("ana"));
  ({ token: stranger } = await haven.createUser("sam"));
  const res = await api("/api/v1/channels", owner, {
    method: "POST",
    body: JSON.stringify({ name: "calm", display_name: "Calm corner" }),
  });
  expect(res.status).toBe(201);
  const row = await findChannel(haven.deps.database.db, "calm");
  channel = {
    channel: row!,
    ownerHandle: "ana",
    groupId: `${haven.origin}/users/calm`,
    ownerId: `${haven.origin}/users/ana`,
    inbox: `${haven.origin}/users/calm/inbox`,
  };
  await followChannel(mastodon, alice, channel);
});
afterAll(async () => {
  await haven?.close();
  await mastodon?.close();
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("until an admin sets them", () => {
  test("every page links to /help, which shows the default text", async () => {
    for (const path of ["/", "/@calm", "/help"]) {
      expect(await page(path)).toContain('<a class="help" href="/help">Need help now?</a>');
    }
    const help = await page("/help");
    expect(help).toContain(DEFAULT_TEXT);
    expect(await page("/@calm")).toContain(DEFAULT_TEXT);
  });

  test("the channel's profile carries one field linking to /help", async () => {
    expect((await actorDoc()).attachment).toEqual([
      {
        type: "PropertyValue",
        name: "Need help now?",
        value: expect.stringContaining(`href="${haven.origin}/help"`),
      },
    ]);
  });
});

describe("counts hidden (the default)", () => {
  test("the followers collection has no totalItems; with counts shown it has", async () => {
    const hidden = await followersCollection();
    expect(hidden.type).toBe("OrderedCollection");
    expect(hidden).not.toHaveProperty("totalItems");
    expect((await settings({ hide_counts: false })).status).toBe(200);
    expect(await followersCollection()).toMatchObject({ totalItems: 1 });
    expect(await page("/@calm")).toContain("1 followers");
    expect((await (await api("/api/v1/channels/calm", null)).json()).followers_count).toBe(1);
    expect((await settings({ hide_counts: true })).status).toBe(200);
    expect(await followersCollection()).not.toHaveProperty("totalItems");
  });

  test("not on the pages; the API shows followers_count to managers only", async () => {
    expect(await page("/@calm")).not.toMatch(/\d+ followers/);
    expect(await page("/")).not.toMatch(/\d+ followers/);
    const count = async (token: string | null) =>
      (await (await api("/api/v1/channels/calm", token)).json()).followers_count;
    expect(await count(null)).toBeNull();
    expect(await count(stranger)).toBeNull();
    expect(await count(owner)).toBe(1);
    expect(await count(admin)).toBe(1);
    const list = await (await api("/api/v1/channels", null)).json();
    expect(list[0].followers_count).toBeNull();
  });
});

describe("an admin sets the resources", () => {
  test("followers get an Update of the channel carrying them as profile fields", async () => {
    const res = await settings({ crisis_resources: RESOURCES });
    expect(res.status).toBe(200);
    const update = await mastodon.waitForDelivery(
      (d) =>
        d.body?.type === "Update" &&
        JSON.stringify((d.body.object as JsonObject)?.attachment ?? "").includes("Samaritans"),
    );
    expect(update.verified).toBe(true);
    const group = update.body?.object as JsonObject;
    expect(group.id).toBe(channel.groupId);
    const fields = [
      { type: "PropertyValue", name: "Samaritans (UK)", value: "116 123" },
      {
        type: "PropertyValue",
        name: "988 Lifeline (US)",
        value: expect.stringContaining('href="https://988lifeline.org/"'),
      },
    ];
    expect(group.attachment).toEqual(fields);
    // The served document changed with it (its cache is keyed on the row's version).
    expect((await actorDoc()).attachment).toEqual(fields);
  });

  test("the channel's own fields come first; the resources fill Mastodon's four", async () => {
    const own = [1, 2, 3].map((n) => ({ name: `Link ${n}`, value: `https://example.org/${n}` }));
    const res = await api("/api/v1/channels/calm", owner, {
      method: "PATCH",
      body: JSON.stringify({ fields: own }),
    });
    expect(res.status).toBe(200);
    const names = ((await actorDoc()).attachment as JsonObject[]).map((f) => f.name);
    // One slot left for two entries: the link to the page listing them all.
    expect(names).toEqual(["Link 1", "Link 2", "Link 3", "Need help now?"]);
  });

  test("/help, the channel page and a watch page show them", async () => {
    const video = await publishVideo(haven, channel, { contentWarning: null });
    for (const path of ["/help", "/@calm", `/videos/${video.id}`]) {
      const html = await page(path);
      expect(html).toContain(RESOURCES.text);
      expect(html).toContain('<a href="tel:116123">116 123</a>');
      expect(html).toContain('<a href="https://988lifeline.org/">https://988lifeline.org/</a>');
      expect(html).not.toContain(`${DEFAULT_TEXT}</p>`);
    }
  });
});

describe("append_support_link", () => {
  const noteContent = async (id: string) => {
    const res = await mastodon.get(`${haven.origin}/notes/${id}`, { accept: AP });
    return String((JSON.parse(res.body) as JsonObject).content);
  };

  test("off by default; when on, only content-warned Notes get the Support line", async () => {
    const warned = await publishVideo(haven, channel, { contentWarning: "mentions self-harm" });
    const plain = await publishVideo(haven, channel, { contentWarning: null });
    expect(await noteContent(warned.id)).not.toContain("Support:");

    const res = await api("/api/v1/channels/calm", owner, {
      method: "PATCH",
      body: JSON.stringify({ append_support_link: true }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).append_support_link).toBe(true);
    const content = await noteContent(warned.id);
    expect(content).toMatch(new RegExp(`<p>Support: <a href="${haven.origin}/help"`));
    expect(await noteContent(plain.id)).not.toContain("Support:");

    // A Note delivered from now on carries it too.
    const next = await publishVideo(haven, channel, { contentWarning: "talks about a crisis" });
    const create = await mastodon.waitForDelivery(
      (d) =>
        d.body?.type === "Create" &&
        (d.body.object as JsonObject)?.id === `${haven.origin}/notes/${next.id}`,
    );
    const object = create.body?.object as JsonObject;
    expect(String(object.content)).toContain("Support: ");
  });
});
