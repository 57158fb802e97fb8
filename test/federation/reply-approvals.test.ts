/**
 * A held reply decided by a moderator is answered to its author's server as
 * GoToSocial's interaction controls expect: an `Accept` (with a
 * dereferenceable `ReplyAuthorization` as its `result`) or a `Reject`, signed
 * by the channel, so the replier's server stops showing it as pending.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import {
  createTestChannel,
  followChannel,
  publishVideo,
  type TestChannel,
} from "../support/video-fixtures.ts";
import { EVERY_QUEUE, inboxDrained } from "./inbox-drained.ts";
import { mastodonReply, peertubeComment, waitForComment } from "./interaction-rig.ts";

const AP = "application/activity+json";
let t: TestDatabase;
let haven: TestHaven;
let gts: FakeRemote;
let gina: FakeActor;
let peertube: FakeRemote;
let bob: FakeActor;
let channel: TestChannel;
let owner: string;
let video: SupportVideo;

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, gts, peertube] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "gotosocial", host: "127.0.0.6" }),
    startFakeRemote({ kind: "peertube", host: "127.0.0.3" }),
  ]);
  [gina, bob] = await Promise.all([gts.addActor("gina"), peertube.addActor("bob")]);
  channel = await createTestChannel(haven, "host", "calm");
  owner = (await haven.createUser("mod_ana", { admin: true })).token;
  video = await publishVideo(haven, channel, { commentsPolicy: "approval" }, { event: false });
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([gts?.close(), peertube?.close()]);
  await t?.close();
});
beforeEach(() => {
  expect.hasAssertions();
});

async function heldReply(text: string) {
  const reply = mastodonReply(gina, {
    inReplyTo: `${haven.origin}/notes/${video.id}`,
    mention: { id: channel.groupId, acct: `calm@${haven.host}` },
    text,
  });
  expect((await gts.send(gina, `${haven.origin}/inbox`, reply)).status).toBeLessThan(300);
  const stored = await waitForComment(t.database.db, reply.object.id);
  expect(stored.comment.state).toBe("held");
  return { iri: reply.object.id, id: stored.comment.id };
}

const moderate = (id: string, action: "approve" | "reject") =>
  fetch(`${haven.origin}/api/v1/comments/${id}/${action}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${owner}` },
  });

test("approved: an Accept signed by the channel, its result a ReplyAuthorization that dereferences", async () => {
  const reply = await heldReply("thank you for this");
  expect((await moderate(reply.id, "approve")).status).toBe(200);
  const accept = await gts.waitForDelivery(
    (d) => d.body?.type === "Accept" && d.body.object === reply.iri,
  );
  expect(accept).toMatchObject({
    verified: true,
    inbox: "personal",
    signer: { owner: channel.groupId },
  });
  expect(accept.body).toMatchObject({ actor: channel.groupId, to: [gina.id] });
  const result = String(accept.body?.result);
  const authorization = JSON.parse((await gts.get(result, { accept: AP })).body) as JsonObject;
  expect(authorization).toMatchObject({
    id: result,
    type: "ReplyAuthorization",
    attributedTo: channel.groupId,
    interactingObject: reply.iri,
    interactionTarget: `${haven.origin}/notes/${video.id}`,
  });
  // Older GoToSocial checks `approvedBy` by dereferencing the Accept itself.
  const fetched = JSON.parse((await gts.get(String(accept.body?.id), { accept: AP })).body);
  expect(fetched).toMatchObject({ type: "Accept", object: reply.iri, result });
});

test("rejected: a Reject, and no authorization to show", async () => {
  const reply = await heldReply("you are wrong");
  expect((await moderate(reply.id, "reject")).status).toBe(200);
  const reject = await gts.waitForDelivery(
    (d) => d.body?.type === "Reject" && d.body.object === reply.iri,
  );
  expect(reject).toMatchObject({ verified: true, signer: { owner: channel.groupId } });
  const res = await gts.get(`${channel.groupId}/authorizations/${reply.id}`, { accept: AP });
  expect(res.status).toBe(404);
});

test("deciding an already decided reply sends nothing more", async () => {
  const reply = await heldReply("a second thought");
  expect((await moderate(reply.id, "approve")).status).toBe(200);
  await gts.waitForDelivery((d) => d.body?.type === "Accept" && d.body.object === reply.iri);
  expect((await moderate(reply.id, "approve")).status).toBe(200);
  await inboxDrained(t.database.db, EVERY_QUEUE);
  const answers = gts.deliveries.filter((d) => d.body?.object === reply.iri);
  expect(answers).toHaveLength(1);
});

test("PeerTube gets no answer: it would read a Reject as the end of its user's follow", async () => {
  await followChannel(peertube, bob, channel);
  const comment = peertubeComment(bob, {
    inReplyTo: `${haven.origin}/videos/${video.id}`,
    text: "not for here",
  });
  expect((await peertube.send(bob, `${haven.origin}/inbox`, comment)).status).toBeLessThan(300);
  const stored = await waitForComment(t.database.db, comment.object.id);
  expect(stored.comment.state).toBe("held");
  expect((await moderate(stored.comment.id, "reject")).status).toBe(200);
  await inboxDrained(t.database.db, EVERY_QUEUE);
  expect(peertube.deliveries.filter((d) => d.body?.type === "Reject")).toEqual([]);
});
