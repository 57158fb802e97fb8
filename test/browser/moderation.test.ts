/**
 * The moderators' queue in a real Chromium: a reply a fake Mastodon sent is
 * held, then approved through /moderation; a follow request is approved
 * there and Mastodon receives the Accept; open reports are listed; someone
 * who manages no channel gets a 403 page. axe-core and screenshots on the
 * queue and on the public pages.
 */
import { eq } from "drizzle-orm";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { localActors } from "../../src/db/schema/index.ts";
import type { SupportVideo } from "../../src/videos/video.service.ts";
import { commentByIri, mastodonReply, waitForComment } from "../federation/interaction-rig.ts";
import {
  expectAccessible,
  launchBrowser,
  newPage,
  screenshots,
  signIn,
} from "../support/browser.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import {
  type FakeActor,
  type FakeRemote,
  follow,
  type JsonObject,
  startFakeRemote,
} from "../support/fake-remote/index.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { createTestChannel, publishVideo, type TestChannel } from "../support/video-fixtures.ts";

const PASSWORD = "correct horse battery";
let t: TestDatabase;
let haven: TestHaven;
let browser: Browser;
let mastodon: FakeRemote;
let alice: FakeActor;
let channel: TestChannel;
let video: SupportVideo;

const db = () => t.database.db;

beforeAll(async () => {
  t = await createTestDatabase();
  [haven, mastodon, browser] = await Promise.all([
    startHaven(t.database, { env: { TRUST_PROXY: "true" } }),
    startFakeRemote({ kind: "mastodon", host: "127.0.0.2" }),
    launchBrowser(),
  ]);
  alice = await mastodon.addActor("alice", { name: "Alice <b>&amp; co</b>" });
  channel = await createTestChannel(haven, "host", "calm");
  await db()
    .update(localActors)
    .set({ manuallyApprovesFollowers: true })
    .where(eq(localActors.id, channel.channel.id));
  video = await publishVideo(
    haven,
    channel,
    { commentsPolicy: "approval", contentWarning: null },
    { event: false },
  );
  await haven.createUser("stranger");
});

afterAll(async () => {
  await browser?.close();
  await haven?.close();
  await mastodon?.close();
  await t?.close();
});

describe("/moderation", () => {
  test("a held reply from Mastodon is approved through the page, and becomes public", async () => {
    const reply = mastodonReply(alice, {
      inReplyTo: `${haven.origin}/notes/${video.id}`,
      mention: { id: channel.groupId, acct: `calm@${haven.host}` },
      text: "This helped me <script>alert(1)</script> a lot",
    });
    const sent = await mastodon.send(alice, `${haven.origin}/inbox`, reply);
    expect(sent.status).toBeLessThan(300);
    expect((await waitForComment(db(), reply.object.id)).comment.state).toBe("held");

    const { context, page } = await newPage(browser);
    await signIn(page, haven.origin, "host", PASSWORD);
    await page.goto(`${haven.origin}/moderation`);
    const card = page.locator("article", { hasText: "This helped me" });
    await card.waitFor();
    // The author's name is text, not markup; the script is gone.
    await expect.poll(() => card.textContent()).toContain("Alice <b>&amp; co</b>");
    expect(await page.locator("article script").count()).toBe(0);
    await expect.poll(() => card.textContent()).toContain(video.title);
    await expect.poll(() => card.textContent()).toContain("Held because");
    await expectAccessible(page);
    await screenshots(page, "moderation");

    // Keyboard: focus the Approve button and press Enter.
    await card.getByRole("button", { name: /^Approve/ }).focus();
    await Promise.all([
      page.waitForURL(`${haven.origin}/moderation?done=approved`),
      page.keyboard.press("Enter"),
    ]);
    await page.getByText("The reply was approved").waitFor();
    expect((await commentByIri(db(), reply.object.id))?.comment.state).toBe("visible");
    expect(await page.locator("article", { hasText: "This helped me" }).count()).toBe(0);

    // The watch page now shows it.
    await page.goto(`${haven.origin}/videos/${video.id}`);
    await page.getByText("This helped me").waitFor();
    await expectAccessible(page);
    await screenshots(page, "watch");
    await context.close();
  });

  test("a follow request is approved from the queue; Mastodon receives the Accept", async () => {
    const activity = follow(alice, channel.groupId);
    expect((await mastodon.send(alice, channel.inbox, activity)).status).toBeLessThan(300);
    const { context, page } = await newPage(browser);
    await signIn(page, haven.origin, "host", PASSWORD);
    const card = page.locator("article", { hasText: "wants to follow" });
    // The inbox works through a queue: reload until the request is there.
    await expect
      .poll(async () => {
        await page.goto(`${haven.origin}/moderation`);
        return card.count();
      })
      .toBe(1);
    await Promise.all([
      page.waitForURL(`${haven.origin}/moderation?done=follow-approved`),
      card.getByRole("button", { name: /^Approve/ }).click(),
    ]);
    await mastodon.waitForDelivery(
      (d) =>
        d.body?.type === "Accept" && (d.body.object as JsonObject | undefined)?.id === activity.id,
      { timeoutMs: 15_000 },
    );
    await context.close();
  });

  test("open reports on the manager's channel are listed, at-risk ones named", async () => {
    const res = await fetch(`${haven.origin}/api/v1/reports`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        video_id: video.id,
        category: "someone_may_be_at_risk",
        comment: "A viewer wrote that they are not safe tonight",
      }),
    });
    expect(res.status).toBe(201);
    const { context, page } = await newPage(browser);
    await signIn(page, haven.origin, "host", PASSWORD);
    await page.goto(`${haven.origin}/moderation`);
    const card = page.locator("article", { hasText: "not safe tonight" });
    await card.waitFor();
    await expect.poll(() => card.textContent()).toContain("Someone may be at risk");
    await context.close();
  });

  test("someone who manages no channel gets a 403 page; signed out goes to /login", async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${haven.origin}/moderation`);
    expect(page.url()).toBe(`${haven.origin}/login?next=%2Fmoderation`);
    await signIn(page, haven.origin, "stranger", PASSWORD);
    const res = await page.goto(`${haven.origin}/moderation`);
    expect(res?.status()).toBe(403);
    await page.getByText("does not manage any channel").waitFor();
    await expectAccessible(page);
    // Nor can they approve by posting the form themselves.
    const { comment } = await anotherHeldReply();
    const csrf = await page.evaluate(
      () => document.querySelector<HTMLInputElement>("input[name=_csrf]")?.value ?? "",
    );
    expect(csrf).not.toBe("");
    const post = await page.request.post(
      `${haven.origin}/moderation/comments/${comment.id}/approve`,
      { form: { _csrf: csrf }, headers: { Origin: haven.origin }, maxRedirects: 0 },
    );
    expect(post.status()).toBe(404);
    expect((await commentByIri(db(), comment.iri))?.comment.state).toBe("held");
    await context.close();
  });

  test("the public pages pass axe-core (home, channel)", async () => {
    const { context, page } = await newPage(browser);
    for (const [name, path] of [
      ["home", "/"],
      ["channel", "/@calm"],
    ] as const) {
      const res = await page.goto(`${haven.origin}${path}`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
      await expectAccessible(page);
      await screenshots(page, name);
    }
    await context.close();
  });
});

/** A second held reply, for the permission check. */
async function anotherHeldReply() {
  const reply = mastodonReply(alice, {
    inReplyTo: `${haven.origin}/notes/${video.id}`,
    mention: { id: channel.groupId, acct: `calm@${haven.host}` },
    text: "another one",
  });
  await mastodon.send(alice, `${haven.origin}/inbox`, reply);
  return waitForComment(db(), reply.object.id);
}
