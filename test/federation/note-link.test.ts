/**
 * Item 14 / ADR 0011: the link a Mastodon user sees on a Haven post, pasted
 * into Mastodon's search, must find the status its followers already have
 * (the Note), not import the PeerTube Video as a second, converted post; and
 * a PeerTube user still imports the video by the link PeerTube shows.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { peertubeVideoProblems } from "../support/peertube-video-check.ts";
import {
  asArray,
  createTestChannel,
  followChannel,
  publishVideo,
  type TestChannel,
} from "../support/video-fixtures.ts";

/** Mastodon's `FetchResourceService::ACCEPT_HEADER`, what its search sends for a pasted URL. */
const MASTODON_SEARCH_ACCEPT =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams", text/html;q=0.1';
/** PeerTube 6.3's `ACTIVITY_PUB.ACCEPT_HEADER`. */
const PEERTUBE_ACCEPT = "application/activity+json, application/ld+json";

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let peertube: FakeRemote;
let alice: FakeActor;
let channel: TestChannel;
let note: JsonObject;
let videoUuid: string;

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, peertube] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
  ]);
  alice = await mastodon.addActor("alice");
  channel = await createTestChannel(haven, "ana", "calm");
  await followChannel(mastodon, alice, channel);
  const video = await publishVideo(haven, channel);
  videoUuid = video.id;
  const create = await mastodon.waitForDelivery(
    (d) => d.body?.type === "Create" && (d.body.object as JsonObject)?.type === "Note",
  );
  note = create.body?.object as JsonObject;
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), peertube?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

/**
 * What Mastodon's search does with a pasted URL (`ResolveURLService` →
 * `FetchResourceService`): GET it with its Accept header; an ActivityPub
 * document whose `id` differs from the URL is fetched again by its `id`
 * (once), an HTML page is followed through its ActivityPub alternate link
 * (once). The document returned is what Mastodon then stores or finds by id.
 */
async function resolveAsMastodonSearch(url: string, terminal = false): Promise<JsonObject | null> {
  const res = await mastodon.get(url, { accept: MASTODON_SEARCH_ACCEPT });
  if (res.status !== 200) return null;
  const type = (res.headers["content-type"] ?? "").split(";")[0]!.trim();
  if (type === "application/activity+json" || type === "application/ld+json") {
    const json = JSON.parse(res.body) as JsonObject;
    if (json.id === url) return json;
    return terminal ? null : resolveAsMastodonSearch(String(json.id), true);
  }
  if (type === "text/html" && !terminal) {
    const alternate = /<link[^>]*rel="alternate"[^>]*type="application\/activity\+json"[^>]*>/.exec(
      res.body,
    );
    const href = alternate && /href="([^"]+)"/.exec(alternate[0])?.[1];
    return href ? resolveAsMastodonSearch(href.replace(/&amp;/g, "&"), true) : null;
  }
  return null;
}

/** The links of a Note's content that are not hashtags (Mastodon skips `rel="tag"`). */
function contentLinks(html: string): string[] {
  return [...html.matchAll(/<a ([^>]*)>/g)]
    .filter((m) => !/rel="tag"/.test(m[1]!))
    .map((m) => /href="([^"]+)"/.exec(m[1]!)![1]!.replace(/&amp;/g, "&"));
}

test("the Note's url and its watch link resolve, in Mastodon's search, to the Note followers have", async () => {
  const links = [String(note.url), ...contentLinks(String(note.content))];
  expect(links.length).toBeGreaterThanOrEqual(2);
  for (const link of links) {
    const found = await resolveAsMastodonSearch(link);
    // Same id → Mastodon finds the existing status instead of creating one.
    expect(found?.id, link).toBe(note.id);
    expect(found).toMatchObject({
      type: "Note",
      attributedTo: channel.groupId,
      summary: "mentions self-harm",
    });
  }
});

test("the Note's url opened in a browser is the watch page itself, not a redirect", async () => {
  const res = await fetch(String(note.url), {
    headers: { Accept: "text/html" },
    redirect: "manual",
  });
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(html).toContain("Riding the wave of an urge");
  // The page names itself: a link copied from it resolves to the Note too.
  expect(html).toContain(`<meta property="og:url" content="${note.id}"/>`);
  expect(html).toContain(
    `<link rel="alternate" type="application/activity+json" href="${note.id}"/>`,
  );
});

test("a PeerTube user still imports the video by the link PeerTube shows (the Video's url)", async () => {
  const videoId = `${haven.origin}/videos/${videoUuid}`;
  const video = JSON.parse(
    (await peertube.get(videoId, { accept: PEERTUBE_ACCEPT })).body,
  ) as JsonObject;
  expect(video).toMatchObject({ id: videoId, type: "Video", uuid: videoUuid });
  expect(peertubeVideoProblems(video)).toEqual([]);
  // PeerTube's "open original" link is the Video's text/html url: the same URL.
  const page = asArray<JsonObject>(video.url).find((u) => u.mediaType === "text/html");
  expect(page?.href).toBe(videoId);
  const again = JSON.parse(
    (await peertube.get(String(page?.href), { accept: PEERTUBE_ACCEPT })).body,
  );
  expect(again).toMatchObject({ id: videoId, type: "Video" });
});
