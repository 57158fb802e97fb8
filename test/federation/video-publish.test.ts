/**
 * Publishing a video (INTEROP.md §2, §3.3): the channel's followers on a fake
 * Mastodon get the Note face, followers on a fake PeerTube also get the
 * Video face by reference — each delivery checked by the rig's own
 * draft-cavage verifier, and the Video by a copy of PeerTube's validator.
 */
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { InstanceSoftwareResolver } from "../../federation/videos/instance-software.ts";
import { instanceSoftware } from "../../src/db/schema/index.ts";
import { createSafeFetch } from "../../src/net/safe-fetch.ts";
import type { SupportVideo } from "../../src/videos/video-queries.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type Delivery,
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { peertubeActivityProblems } from "../support/peertube-activity-check.ts";
import { peertubeVideoProblems } from "../support/peertube-video-check.ts";
import {
  asArray,
  createTestChannel,
  followChannel,
  publishVideo,
  type TestChannel,
} from "../support/video-fixtures.ts";
import { EVERY_QUEUE, inboxDrained } from "./inbox-drained.ts";

const AP = "application/activity+json";
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let peertube: FakeRemote;
let alice: FakeActor; // Mastodon
let bob: FakeActor; // PeerTube
let channel: TestChannel;
let video: SupportVideo;
let noteId: string;
let videoId: string;
let toMastodon: Delivery;
let announce: Delivery;

const objectOf = (d: Delivery) => d.body?.object as JsonObject;

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, peertube] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
  ]);
  [alice, bob] = await Promise.all([mastodon.addActor("alice"), peertube.addActor("bob")]);
  channel = await createTestChannel(haven, "ana", "calm");
  await followChannel(mastodon, alice, channel);
  await followChannel(peertube, bob, channel);

  video = await publishVideo(haven, channel);
  noteId = `${haven.origin}/notes/${video.id}`;
  videoId = `${haven.origin}/videos/${video.id}`;
  [toMastodon, announce] = await Promise.all([
    mastodon.waitForDelivery((d) => d.body?.type === "Create" && objectOf(d)?.id === noteId),
    peertube.waitForDelivery((d) => d.body?.type === "Announce"),
  ]);
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), peertube?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

describe("the Mastodon face: Create{Note} by the channel", () => {
  test("signed by the Group, verified, to the shared inbox", () => {
    expect(toMastodon).toMatchObject({
      inbox: "shared",
      verified: true,
      signer: { owner: channel.groupId },
    });
    expect(toMastodon.body).toMatchObject({
      id: `${noteId}/activity`,
      type: "Create",
      actor: channel.groupId,
    });
    expect(asArray<string>(toMastodon.body?.to)).toContain(PUBLIC);
  });

  test("the Note carries what Mastodon reads (CW, sensitive, media, tags, watch link)", () => {
    const note = objectOf(toMastodon);
    expect(note).toMatchObject({
      id: noteId,
      type: "Note",
      attributedTo: channel.groupId,
      summary: "mentions self-harm",
      sensitive: true,
      url: noteId, // its own URL: Mastodon's search finds this status by it (ADR 0011)
      contentMap: { en: note.content },
    });
    expect(asArray<string>(note.to)).toEqual([PUBLIC]);
    expect(asArray<string>(note.cc)).toEqual([`${channel.groupId}/followers`]);
    const [media, ...more] = asArray(note.attachment);
    expect(more).toEqual([]);
    expect(media).toMatchObject({
      type: "Document",
      mediaType: "video/mp4",
      url: `${haven.origin}/media/videos/${video.id}/${video.id}-720.mp4`,
      width: 1280,
      height: 720,
      icon: { type: "Image", url: `${haven.origin}/media/videos/${video.id}/poster.jpg` },
    });
    expect(media?.name).toEqual(expect.stringContaining("Riding the wave of an urge"));
    expect(asArray(note.tag)).toContainEqual({
      type: "Hashtag",
      name: "#bpd",
      href: `${haven.origin}/tags/bpd`,
    });
    expect(note.content).toContain(`href="${noteId}"`);
    expect(note.content).toContain("<strong>short</strong>");
  });

  test("Mastodon does not get the Announce (it would show the video twice)", async () => {
    // The Announce reached PeerTube; anything for Mastodon was queued at the same time.
    await new Promise((r) => setTimeout(r, 1000));
    expect(mastodon.attempts.filter((a) => a.raw.includes('"Announce"'))).toEqual([]);
    expect(mastodon.deliveries.filter((d) => d.body?.type === "Create")).toHaveLength(1);
  });
});

describe("the PeerTube face: Announce{Video} by reference", () => {
  test("PeerTube gets no Note: it drops a Note that answers nothing of its own", async () => {
    await inboxDrained(haven.deps.database.db, EVERY_QUEUE);
    expect(peertube.deliveries.filter((d) => d.body?.type === "Create")).toEqual([]);
  });

  test("PeerTube keeps the Announce: `to`/`cc` are arrays (a bare string is dropped)", () => {
    expect(announce.peertubeProblems).toEqual([]);
    expect(announce.body?.to).toEqual([PUBLIC]);
    expect(announce.body?.cc).toEqual([`${channel.groupId}/followers`]);
  });

  test("an Announce by the Group whose object is the Video's id", () => {
    expect(announce).toMatchObject({ verified: true, signer: { owner: channel.groupId } });
    expect(announce.body).toMatchObject({
      type: "Announce",
      actor: channel.groupId,
      object: videoId,
    });
    // PeerTube's isBaseActivityValid: `to`/`cc` must be URLs (not "as:Public").
    expect(asArray<string>(announce.body?.to)).toEqual([PUBLIC]);
  });

  test("GET the Video id as PeerTube does: a Video its validator accepts, extension terms intact", async () => {
    const res = await peertube.get(videoId, { accept: AP });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/activity\+json/);
    const body = JSON.parse(res.body) as JsonObject;
    expect(peertubeVideoProblems(body)).toEqual([]);
    expect(body).toMatchObject({
      id: videoId,
      type: "Video",
      uuid: video.id,
      commentsPolicy: 1,
      views: 0,
      duration: "PT65S",
      attributedTo: [
        { type: "Person", id: channel.ownerId },
        { type: "Group", id: channel.groupId },
      ],
    });
    const mp4 = asArray(body.url).find((u) => u.mediaType === "video/mp4");
    expect(mp4).toMatchObject({ size: 2_345_678, height: 720, width: 1280, fps: 30 });
    expect(JSON.stringify(body["@context"])).toContain("https://joinpeertube.org/ns#");
  });

  test("the follower's instance software is cached from its NodeInfo", async () => {
    const rows = await t.database.db.select().from(instanceSoftware);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ domain: peertube.domain, software: "peertube" }),
        expect.objectContaining({ domain: mastodon.domain, software: "mastodon" }),
      ]),
    );
  });
});

describe("the video's URLs", () => {
  test("the Note is served at /notes/<uuid>", async () => {
    const res = await mastodon.get(noteId, { accept: AP });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      id: noteId,
      type: "Note",
      summary: "mentions self-harm",
    });
  });

  test("a browser at the same URL is not given the JSON", async () => {
    const res = await fetch(videoId, { headers: { Accept: "text/html" } });
    expect(res.headers.get("content-type") ?? "").not.toMatch(/activity\+json/);
  });

  test("unknown or unpublished videos are 404", async () => {
    const processing = await publishVideo(
      haven,
      channel,
      { state: "processing" },
      { event: false },
    );
    for (const url of [
      `${haven.origin}/videos/${processing.id}`,
      `${haven.origin}/notes/${processing.id}`,
      `${haven.origin}/notes/00000000-0000-4000-8000-000000000000`,
      `${haven.origin}/notes/not-a-uuid`,
    ]) {
      // A 404 of its own, not a redirect to a watch page that then says 404.
      for (const accept of [AP, "text/html"]) {
        const res = await fetch(url, { headers: { Accept: accept }, redirect: "manual" });
        expect(res.status, `${url} ${accept}`).toBe(404);
      }
    }
    // A published video's Note opened in a browser is its watch page, in place.
    const page = await fetch(noteId, { headers: { Accept: "text/html" }, redirect: "manual" });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Riding the wave of an urge");
  });
});

describe("one canonical shape, fetched or delivered", () => {
  const fetchJson = async (url: string) => {
    const res = await mastodon.get(url, { accept: AP });
    expect(res.status, url).toBe(200);
    return JSON.parse(res.body) as JsonObject;
  };

  test("the Note as fetched is the Note as delivered: arrays, the full Public IRI", async () => {
    const { "@context": context, ...fetched } = await fetchJson(noteId);
    expect(context).toBeDefined();
    expect(fetched).toEqual(objectOf(toMastodon));
    expect(fetched.to).toEqual([PUBLIC]);
    expect(fetched.cc).toEqual([`${channel.groupId}/followers`]);
    expect(Array.isArray(fetched.attachment)).toBe(true);
    // Mastodon shows the blurhash in place of a content-warned video until it has the file.
    expect(asArray(fetched.attachment)[0]?.blurhash).toBe("LEHV6nWB2yk8pyo0adR*.7kCMdnj");
    expect(JSON.stringify(toMastodon.body?.["@context"])).toContain('"blurhash":"toot:blurhash"');
  });

  test("the ids of the delivered Create and Announce dereference to them", async () => {
    const { "@context": _c, ...create } = await fetchJson(String(toMastodon.body?.id));
    expect(create).toMatchObject({
      id: `${noteId}/activity`,
      type: "Create",
      actor: channel.groupId,
    });
    expect(create.to).toEqual([PUBLIC]);
    expect((create.object as JsonObject).id).toBe(noteId);
    const { "@context": _a, ...shared } = await fetchJson(String(announce.body?.id));
    expect(shared).toMatchObject({ id: announce.body?.id, type: "Announce", object: videoId });
    expect(peertubeActivityProblems(shared)).toEqual([]);
  });

  test("the Video links the collections PeerTube 6.3 reads after every import", async () => {
    const object = await fetchJson(videoId);
    expect(peertubeVideoProblems(object)).toEqual([]);
    for (const name of ["likes", "dislikes", "shares", "comments"]) {
      expect(object[name]).toBe(`${videoId}/${name}`);
      const collection = await fetchJson(`${videoId}/${name}`);
      expect(collection).toMatchObject({
        id: `${videoId}/${name}`,
        type: "OrderedCollection",
        totalItems: 0,
      });
    }
    expect(
      (await mastodon.get(`${haven.origin}/videos/${randomUUID()}/likes`, { accept: AP })).status,
    ).toBe(404);
  });
});

describe("the channel's outbox", () => {
  test("published videos newest first, Create and Announce with the delivered ids, paged", async () => {
    // 11 more (without events): two pages of ten videos.
    const base = Date.now() - 3600_000;
    for (let i = 0; i < 11; i++) {
      await publishVideo(
        haven,
        channel,
        { publishedAt: new Date(base + i * 1000) },
        { event: false },
      );
    }
    const outboxUrl = `${channel.groupId}/outbox`;
    const collection = JSON.parse(
      (await peertube.get(outboxUrl, { accept: AP })).body,
    ) as JsonObject;
    expect(collection).toMatchObject({ type: "OrderedCollection", totalItems: 24 });
    const first = JSON.parse(
      (await peertube.get(String(collection.first), { accept: AP })).body,
    ) as JsonObject;
    const items = asArray(first.orderedItems);
    expect(items).toHaveLength(20);
    expect(items[0]).toMatchObject({
      type: "Create",
      id: `${noteId}/activity`,
      actor: channel.groupId,
      object: { id: noteId, type: "Note" },
    });
    expect(items[1]).toMatchObject({ type: "Announce", id: announce.body?.id, object: videoId });
    // PeerTube validates each crawled item as an inbox activity.
    for (const item of items) expect(peertubeActivityProblems(item)).toEqual([]);
    const second = JSON.parse(
      (await peertube.get(String(first.next), { accept: AP })).body,
    ) as JsonObject;
    const rest = asArray(second.orderedItems);
    expect(rest).toHaveLength(4);
    const ids = [...items, ...rest].filter((a) => a.type === "Announce").map((a) => a.object);
    expect(new Set(ids).size).toBe(12);
    expect(second.next).toBeUndefined();
  });

  test("a member's outbox is empty and counted", async () => {
    const res = await peertube.get(`${channel.ownerId}/outbox`, { accept: AP });
    expect(JSON.parse(res.body)).toMatchObject({ type: "OrderedCollection", totalItems: 0 });
  });
});

describe("NodeInfo lookups", () => {
  test("unreadable NodeInfo → 'unknown' (no Announce), asked again only after the short TTL", async () => {
    const db = t.database.db;
    const dead = "http://127.0.0.9:9/users/x"; // nothing listens there
    const resolver = new InstanceSoftwareResolver({
      db,
      safeFetch: haven.deps.safeFetch,
      failureTtlMs: 60_000,
    });
    expect(await resolver.softwareOf(dead)).toBe("unknown");
    const [row] = await db
      .select()
      .from(instanceSoftware)
      .where(eq(instanceSoftware.domain, "127.0.0.9:9"));
    expect(row?.software).toBe("unknown");
    // Within the TTL the cached answer is used even if the instance came back.
    const before = mastodon.incomingRequests.length;
    const mastodonResolver = new InstanceSoftwareResolver({ db, safeFetch: haven.deps.safeFetch });
    expect(await mastodonResolver.isPeerTube(alice.id)).toBe(false);
    expect(mastodon.incomingRequests.length).toBe(before);
  });

  test("with private addresses refused, a loopback instance's NodeInfo is never fetched", async () => {
    const strict = createSafeFetch({ allowPrivateAddress: false, userAgent: "Haven/test" });
    try {
      const resolver = new InstanceSoftwareResolver({ db: t.database.db, safeFetch: strict });
      await t.database.db
        .delete(instanceSoftware)
        .where(eq(instanceSoftware.domain, peertube.domain));
      const before = peertube.incomingRequests.length;
      expect(await resolver.softwareOf(bob.id)).toBe("unknown");
      expect(peertube.incomingRequests.length).toBe(before);
    } finally {
      strict.close();
    }
  });
});
