/**
 * Edits and takedowns reach both faces with the actor each server demands
 * (INTEROP.md §1.5): Update/Delete of the Note by the channel (Mastodon lets
 * only the author edit or delete), Update{Video} with the whole object and
 * Delete{Video} by the owner Person (PeerTube). The Update{Video} is posted
 * raw — the rig's verifier checks its draft-cavage signature and digest.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { updateVideo as updateVideoMetadata } from "../../src/videos/video.service.ts";
import { findSupportVideo, type SupportVideo } from "../../src/videos/video-queries.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type Delivery,
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
  deleteVideo,
  followChannel,
  publishVideo,
  type TestChannel,
  updateVideo,
} from "../support/video-fixtures.ts";
import { EVERY_QUEUE, inboxDrained } from "./inbox-drained.ts";

const AP = "application/activity+json";

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let peertube: FakeRemote;
let alice: FakeActor;
let bob: FakeActor;
let channel: TestChannel;
let video: SupportVideo;
let noteId: string;
let videoId: string;

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
  await Promise.all([
    mastodon.waitForDelivery((d) => d.body?.type === "Create"),
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

describe("an edit", () => {
  let noteUpdate: Delivery;
  let videoUpdate: Delivery;

  beforeAll(async () => {
    await updateVideo(haven, video.id, {
      title: "Riding the wave, revised",
      contentWarning: null,
      commentsPolicy: "closed",
    });
    [noteUpdate, videoUpdate] = await Promise.all([
      mastodon.waitForDelivery((d) => d.body?.type === "Update"),
      peertube.waitForDelivery((d) => d.body?.type === "Update" && objectOf(d)?.type === "Video"),
    ]);
  });

  test("Mastodon: Update{Note} by the channel, with the new text and `updated`", () => {
    expect(noteUpdate).toMatchObject({ verified: true, signer: { owner: channel.groupId } });
    expect(noteUpdate.body).toMatchObject({ type: "Update", actor: channel.groupId });
    const note = objectOf(noteUpdate);
    expect(note).toMatchObject({ id: noteId, type: "Note", sensitive: false });
    expect(note.summary).toBeUndefined();
    expect(note.content).toContain("Riding the wave, revised");
    expect(typeof note.updated).toBe("string");
  });

  test("PeerTube: the raw Update{Video}, signed by the owner Person, verified", () => {
    expect(videoUpdate).toMatchObject({
      inbox: "shared",
      verified: true,
      signer: { owner: channel.ownerId, keyId: `${channel.ownerId}#main-key` },
    });
    // PeerTube requires these to be signed; the digest was checked against the body.
    const signed = /headers="([^"]+)"/.exec(videoUpdate.headers.signature ?? "")?.[1]?.split(" ");
    expect(signed).toEqual(expect.arrayContaining(["(request-target)", "host", "date", "digest"]));
    expect(videoUpdate.headers.digest).toMatch(/^SHA-256=/);
    expect(videoUpdate.body).toMatchObject({ type: "Update", actor: channel.ownerId });
    expect(asArray<string>(videoUpdate.body?.to)).toEqual([
      "https://www.w3.org/ns/activitystreams#Public",
    ]);
  });

  test("the embedded Video is complete: PeerTube's terms survive, validator passes", () => {
    const object = objectOf(videoUpdate);
    expect(peertubeVideoProblems(object)).toEqual([]);
    expect(object).toMatchObject({
      id: videoId,
      uuid: video.id,
      name: "Riding the wave, revised",
      commentsPolicy: 2,
      views: 0,
      sensitive: false,
    });
    const mp4 = asArray(object.url).find((u) => u.mediaType === "video/mp4");
    expect(mp4?.size).toBe(2_345_678);
    expect(JSON.stringify(videoUpdate.body?.["@context"])).toContain("pt:commentsPolicy");
  });

  test("Mastodon gets no Update{Video}; PeerTube no Update{Note}", () => {
    expect(mastodon.deliveries.filter((d) => objectOf(d)?.type === "Video")).toEqual([]);
    expect(peertube.deliveries.filter((d) => objectOf(d)?.type === "Note")).toEqual([]);
  });

  test("PeerTube keeps the Update{Video} (arrays where its validators need them)", () => {
    expect(videoUpdate.peertubeProblems).toEqual([]);
  });
});

describe("a change of the comment policy alone", () => {
  test("only PeerTube hears of it: the Note does not show it (Mastodon would mark the post edited)", async () => {
    const db = haven.deps.database.db;
    const row = await findSupportVideo(db, video.id);
    const before = mastodon.deliveries.filter((d) => d.body?.type === "Update").length;
    const edited = await updateVideoMetadata(db, haven.deps.events, row!, {
      commentsPolicy: "open",
    });
    expect(edited.ok).toBe(true);
    const update = await peertube.waitForDelivery(
      (d) => d.body?.type === "Update" && objectOf(d)?.commentsPolicy === 1,
    );
    expect(update.peertubeProblems).toEqual([]);
    await inboxDrained(db, EVERY_QUEUE);
    expect(mastodon.deliveries.filter((d) => d.body?.type === "Update")).toHaveLength(before);
  });

  test("an edit that changes nothing sends nothing", async () => {
    const db = haven.deps.database.db;
    const row = await findSupportVideo(db, video.id);
    const before = peertube.deliveries.length + mastodon.deliveries.length;
    const edited = await updateVideoMetadata(db, haven.deps.events, row!, {
      title: row!.title,
      tags: [...row!.tags],
    });
    expect(edited.ok).toBe(true);
    await inboxDrained(db, EVERY_QUEUE);
    expect(peertube.deliveries.length + mastodon.deliveries.length).toBe(before);
  });
});

describe("a takedown", () => {
  let noteDelete: Delivery;
  let videoDelete: Delivery;

  beforeAll(async () => {
    await deleteVideo(haven, channel, video.id);
    [noteDelete, videoDelete] = await Promise.all([
      mastodon.waitForDelivery((d) => d.body?.type === "Delete"),
      peertube.waitForDelivery((d) => d.body?.type === "Delete" && d.body.object === videoId),
    ]);
  });

  test("Mastodon: Delete{Tombstone} of the Note by the channel", () => {
    expect(noteDelete).toMatchObject({ verified: true, signer: { owner: channel.groupId } });
    expect(noteDelete.body).toMatchObject({
      type: "Delete",
      actor: channel.groupId,
      object: { type: "Tombstone", id: noteId },
    });
  });

  test("PeerTube: Delete of the Video by the owner Person, which PeerTube keeps", () => {
    expect(videoDelete).toMatchObject({ verified: true, signer: { owner: channel.ownerId } });
    expect(videoDelete.body).toMatchObject({ type: "Delete", actor: channel.ownerId });
    expect(videoDelete.peertubeProblems).toEqual([]);
  });

  test("the Note and the Video answer 410 Gone with a Tombstone", async () => {
    for (const url of [noteId, videoId]) {
      const res = await mastodon.get(url, { accept: AP });
      expect(res.status, url).toBe(410);
      expect(JSON.parse(res.body)).toMatchObject({ type: "Tombstone", id: url });
    }
  });

  test("the outbox no longer lists it", async () => {
    const res = await peertube.get(`${channel.groupId}/outbox`, { accept: AP });
    expect(JSON.parse(res.body)).toMatchObject({ totalItems: 0 });
  });
});
