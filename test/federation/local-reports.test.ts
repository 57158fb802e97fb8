/**
 * Reports from visitors and members (issue 10): the watch page's form, the
 * moderators' webhook (HMAC-signed, retried through the durable queue),
 * at-risk reports first, forwarding a report about a remote comment as a
 * `Flag` from the instance actor, and the resolve actions with their audit
 * entries. Real HTTP everywhere: Haven, a fake Mastodon, a webhook receiver.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  accountBlocks,
  domainBlocks,
  instanceSettings,
  videoComments,
} from "../../src/db/schema/index.ts";
import { listAuditLog } from "../../src/moderation/audit.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";
import { inboxDrained } from "./inbox-drained.ts";
import { mastodonReply, waitForComment } from "./interaction-rig.ts";

const SECRET = "whsec-test-0123456789";
const RESOURCES = {
  text: "You are not alone. If you are in danger now, call your local emergency number.",
  entries: [{ label: "Samaritans", phone: "116 123", region: "UK" }],
};

let t: TestDatabase;
let haven: TestHaven;
let mastodon: FakeRemote;
let other: FakeRemote;
let alice: FakeActor;
let bob: FakeActor;
let carol: FakeActor;
let channel: TestChannel;
let video: SupportVideo;
let adminToken: string;
/** A signed-in reporter: not held to the per-address limit of anonymous ones. */
let memberToken: string;

interface Hit {
  raw: string;
  signature: string | undefined;
  status: number;
}
let receiver: Server;
let receiverUrl: string;
const hits: Hit[] = [];
/** Answers for the next hits, then 200. */
const plannedStatuses: number[] = [];

const db = () => t.database.db;
const noteOf = (v: SupportVideo) => `${haven.origin}/notes/${v.id}`;

async function api(path: string, body?: unknown, token: string | null = adminToken) {
  const res = await fetch(`${haven.origin}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      "Content-Type": "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as JsonObject & JsonObject[] };
}

async function reportRemoteComment(actor: FakeActor, remote: FakeRemote, text: string) {
  const reply = mastodonReply(actor, {
    inReplyTo: noteOf(video),
    mention: { id: channel.groupId, acct: `calm@${haven.host}` },
    text,
  });
  expect((await remote.send(actor, `${haven.origin}/inbox`, reply)).status).toBeLessThan(300);
  const { comment } = await waitForComment(db(), reply.object.id);
  const created = await api(
    "/api/v1/reports",
    { comment_id: comment.id, category: "harassment", comment: `about: ${text}` },
    memberToken,
  );
  expect(created.status).toBe(201);
  return { commentId: comment.id, noteId: reply.object.id, reportId: String(created.json.id) };
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = plannedStatuses.shift() ?? 200;
      hits.push({
        raw: Buffer.concat(chunks).toString("utf8"),
        signature: req.headers["x-haven-signature"] as string | undefined,
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/reports`;

  t = await createTestDatabase();
  [haven, mastodon, other] = await Promise.all([
    startHaven(t.database),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.6" }),
  ]);
  [alice, bob, carol] = await Promise.all([
    mastodon.addActor("alice"),
    mastodon.addActor("bob"),
    other.addActor("carol"),
  ]);
  channel = await createTestChannel(haven, "host", "calm");
  adminToken = (await haven.createUser("mod_jo", { admin: true })).token;
  memberToken = (await haven.createUser("member")).token;
  video = await publishVideo(haven, channel, { commentsPolicy: "open" }, { event: false });
  // As the instance settings API stores them (keys read by src/instance/instance-settings.ts).
  await db()
    .insert(instanceSettings)
    .values([
      { key: "report_webhook_url", value: receiverUrl },
      { key: "report_webhook_secret", value: SECRET },
      { key: "crisis_resources", value: RESOURCES },
    ]);
});
afterAll(async () => {
  await haven?.close();
  await Promise.all([mastodon?.close(), other?.close()]);
  await t?.close();
  await new Promise((r) => receiver?.close(r));
});

describe("the watch page's report form (no JavaScript)", () => {
  test("an accessible form: the categories as labelled radios in a fieldset with a legend", async () => {
    const page = await (await fetch(`${haven.origin}/videos/${video.id}`)).text();
    expect(page).toContain(`<form method="post" action="/videos/${video.id}/report">`);
    expect(page).toContain("<legend>What is wrong with this video?</legend>");
    for (const category of ["spam", "harassment", "someone_may_be_at_risk", "other"]) {
      expect(page).toContain(`id="v-${category}" value="${category}"`);
      expect(page).toContain(`<label for="v-${category}">`);
    }
  });

  test("a plain form POST of an at-risk report answers with the instance's crisis resources", async () => {
    const res = await fetch(`${haven.origin}/videos/${video.id}/report`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        category: "someone_may_be_at_risk",
        comment: "She says she wants to end it",
      }).toString(),
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Thank you, your report was sent");
    expect(html).toContain("The moderators have been told at once.");
    expect(html).toContain(RESOURCES.text);
    expect(html).toContain('Samaritans — <a href="tel:116123">116 123</a> (UK)');
  });

  test("a missing category is shown as a problem, not stored", async () => {
    const res = await fetch(`${haven.origin}/videos/${video.id}/report`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "comment=hello",
    });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("category must be one of");
  });
  test("each visible comment links to its own form, which reports that comment", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: noteOf(video),
      mention: { id: channel.groupId, acct: `calm@${haven.host}` },
      text: "nobody would miss you",
    });
    expect((await mastodon.send(alice, `${haven.origin}/inbox`, reply)).status).toBeLessThan(300);
    const { comment } = await waitForComment(db(), reply.object.id);
    const formUrl = `/videos/${video.id}/report?comment=${comment.id}`;
    const watch = await (await fetch(`${haven.origin}/videos/${video.id}`)).text();
    expect(watch).toContain(`href="${formUrl}"`);
    const form = await (await fetch(`${haven.origin}${formUrl}`)).text();
    expect(form).toContain(`<input type="hidden" name="comment_id" value="${comment.id}"/>`);
    expect(form).toContain("<legend>What is wrong with this comment?</legend>");
    const res = await fetch(`${haven.origin}/videos/${video.id}/report`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ comment_id: comment.id, category: "harassment" }).toString(),
    });
    expect(res.status).toBe(200);
    const { json: list } = await api("/api/v1/admin/reports");
    expect(list.find((r) => (r.comment_ids as string[])[0] === comment.id)).toMatchObject({
      category: "harassment",
      source: "local",
      status_ids: [video.id],
    });
  });
});

describe("the moderators' webhook", () => {
  test("receives a body signed with HMAC-SHA256, and gets it again after answering 500", async () => {
    // The form test's report has been announced already (its own hit).
    await inboxDrained(db(), ["notify"]);
    hits.length = 0;
    plannedStatuses.push(500);
    const created = await api(
      "/api/v1/reports",
      { video_id: video.id, category: "someone_may_be_at_risk", comment: "worried" },
      null,
    );
    expect(created.status).toBe(201);
    await expect.poll(() => hits.length, { timeout: 15_000, interval: 50 }).toBe(2);
    expect(hits.map((h) => h.status)).toEqual([500, 200]);
    for (const hit of hits) {
      const expected = `sha256=${createHmac("sha256", SECRET).update(hit.raw).digest("hex")}`;
      expect(hit.signature).toBe(expected);
    }
    expect(hits[1]!.raw).toBe(hits[0]!.raw);
    expect(JSON.parse(hits[1]!.raw)).toEqual({
      event: "report.created",
      id: created.json.id,
      category: "someone_may_be_at_risk",
      at_risk: true,
      source: "local",
      target_url: `${haven.origin}/videos/${video.id}`,
      video_id: video.id,
      comment_id: null,
      comment: "worried",
      created_at: created.json.created_at,
    });
  });
});

describe("the admin list", () => {
  test("someone_may_be_at_risk first, then newest first, with category and source", async () => {
    for (const category of ["spam", "someone_may_be_at_risk", "other"]) {
      const res = await api(
        "/api/v1/reports",
        { video_id: video.id, category, comment: category },
        adminToken,
      );
      expect(res.status).toBe(201);
    }
    const { status, json: list } = await api("/api/v1/admin/reports");
    expect(status).toBe(200);
    const categories = list.map((r) => r.category);
    const firstOther = categories.findIndex((c) => c !== "someone_may_be_at_risk");
    expect(firstOther).toBeGreaterThan(0);
    expect(categories.slice(firstOther)).not.toContain("someone_may_be_at_risk");
    for (const group of [list.slice(0, firstOther), list.slice(firstOther)]) {
      const times = group.map((r) => String(r.created_at));
      expect(times).toEqual([...times].sort().reverse());
    }
    expect(list[0]).toMatchObject({ category: "someone_may_be_at_risk", source: "local" });
    expect(list[firstOther]).toMatchObject({ category: "other", comment: "other", account: null });
  });
});

describe("forwarding", () => {
  test("a report about a remote comment goes to its server as a Flag signed by the instance actor", async () => {
    const { reportId, noteId } = await reportRemoteComment(alice, mastodon, "you are a burden");
    const res = await api(`/api/v1/admin/reports/${reportId}/forward`, {});
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: reportId, forwarded: true });
    const delivery = await mastodon.waitForDelivery((d) => d.body?.type === "Flag", {
      timeoutMs: 15_000,
    });
    const instanceActor = `${haven.origin}/users/instance`;
    expect(delivery).toMatchObject({
      verified: true,
      status: 202,
      signer: { owner: instanceActor },
    });
    expect(delivery.body).toMatchObject({
      type: "Flag",
      actor: instanceActor,
      content: "about: you are a burden",
      object: [alice.id, noteId],
    });
    // Nothing about the reporter travels.
    expect(delivery.raw).not.toContain("member");
    const audit = await listAuditLog(db(), { action: "report.forward", target: reportId });
    expect(audit).toHaveLength(1);
  });

  test("a report about one of our videos has nowhere to go: 422", async () => {
    const created = await api(
      "/api/v1/reports",
      { video_id: video.id, category: "spam" },
      memberToken,
    );
    const res = await api(`/api/v1/admin/reports/${created.json.id}/forward`, {});
    expect(res.status).toBe(422);
  });
});

describe("resolving", () => {
  const resolve = (id: string, action?: string) =>
    api(`/api/v1/admin/reports/${id}/resolve`, action === undefined ? {} : { action });
  const auditOf = (id: string) => listAuditLog(db(), { action: "report.resolve", target: id });
  const stateOf = async (id: string) =>
    (await db().select().from(videoComments).where(eq(videoComments.id, id)))[0]?.state;

  test("hide_comment puts the reply back in the held queue; reject_comment rejects it", async () => {
    const hidden = await reportRemoteComment(alice, mastodon, "first");
    const res = await resolve(hidden.reportId, "hide_comment");
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ action_taken: true, action: "hide_comment" });
    expect(await stateOf(hidden.commentId)).toBe("held");
    expect((await auditOf(hidden.reportId))[0]).toMatchObject({
      details: { action: "hide_comment", commentIds: [hidden.commentId] },
    });

    const rejected = await reportRemoteComment(alice, mastodon, "second");
    expect((await resolve(rejected.reportId, "reject_comment")).status).toBe(200);
    expect(await stateOf(rejected.commentId)).toBe("rejected");
    expect(await auditOf(rejected.reportId)).toHaveLength(1);
    // Resolved once: another action is a conflict, not a silent second change.
    expect((await resolve(rejected.reportId, "block_domain")).status).toBe(409);
  });

  test("block_account blocks the comment's author, audited by both services", async () => {
    const { reportId } = await reportRemoteComment(bob, mastodon, "third");
    expect((await resolve(reportId, "block_account")).status).toBe(200);
    const blocks = await db()
      .select()
      .from(accountBlocks)
      .where(eq(accountBlocks.actorIri, bob.id));
    expect(blocks).toHaveLength(1);
    expect(
      await listAuditLog(db(), { action: "account_block.create", target: bob.id }),
    ).toHaveLength(1);
    expect((await auditOf(reportId))[0]).toMatchObject({
      details: { action: "block_account", accounts: [bob.id] },
    });
  });

  test("block_domain suspends the author's domain", async () => {
    const { reportId } = await reportRemoteComment(carol, other, "fourth");
    expect((await resolve(reportId, "block_domain")).status).toBe(200);
    const [block] = await db()
      .select()
      .from(domainBlocks)
      .where(eq(domainBlocks.domain, "127.0.0.6"));
    expect(block).toMatchObject({ severity: "suspend" });
    expect((await auditOf(reportId))[0]).toMatchObject({
      details: { action: "block_domain", domains: ["127.0.0.6"] },
    });
  });

  test("none just closes it; a bad action is a 422 listing the actions", async () => {
    const created = await api(
      "/api/v1/reports",
      { video_id: video.id, category: "other" },
      memberToken,
    );
    const id = String(created.json.id);
    const bad = await resolve(id, "delete_everything");
    expect(bad.status).toBe(422);
    expect(bad.json.error).toBe(
      "action must be one of: none, hide_comment, reject_comment, block_account, block_domain",
    );
    // A video report has no reply or remote author to act on.
    expect((await resolve(id, "hide_comment")).status).toBe(422);
    const res = await resolve(id);
    expect(res.json).toMatchObject({ action_taken: true, action: "none" });
    expect(await auditOf(id)).toHaveLength(1);
  });
});
