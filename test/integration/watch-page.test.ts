import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { makeTestVideo } from "../support/media-fixtures.ts";

let t: TestDatabase;
let haven: TestHaven;
let token: string;
const work = mkdtempSync(join(tmpdir(), "haven-watch-"));

async function publish(fields: Record<string, string>): Promise<{ id: string }> {
  const body = new FormData();
  body.set("channel", "calm");
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  const mp4 = await makeTestVideo(work, { codec: "h264", seconds: 1 });
  body.set("file", new Blob([readFileSync(mp4)]), "clip.mp4");
  const res = await fetch(`${haven.origin}/api/v1/videos`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body,
  });
  expect(res.status).toBe(202);
  const { id } = await res.json();
  for (let i = 0; i < 200; i++) {
    const v = await (await fetch(`${haven.origin}/api/v1/videos/${id}`)).json();
    if (v.state === "published") return { id };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("not published");
}

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database);
  token = (await haven.createUser("host")).token;
  await fetch(`${haven.origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "calm", display_name: "Calm corner" }),
  });
});
afterAll(async () => {
  await haven.close();
  await t.close();
  rmSync(work, { recursive: true, force: true });
});

const html = (url: string) => fetch(url, { headers: { Accept: "text/html" } });

test("watch page: player with captions, safe description, OpenGraph and oEmbed", async () => {
  const { id } = await publish({
    title: "Riding the wave",
    description: "Breathe <script>alert(1)</script> **slowly**.",
    tags: "bpd",
  });
  const res = await html(`${haven.origin}/videos/${id}`);
  expect(res.status).toBe(200);
  const page = await res.text();
  expect(page).toContain("<video");
  expect(page).toMatch(new RegExp(`/media/videos/${id}/${id}-\\d+\\.mp4`));
  expect(page).not.toContain("<script>alert(1)</script>");
  expect(page).toContain('property="og:video"');
  expect(page).toContain('property="og:image"');
  const oembedHref = /<link rel="alternate" type="application\/json\+oembed" href="([^"]+)"/.exec(
    page,
  )?.[1];
  expect(oembedHref).toBeDefined();
  const oembed = await (await fetch(oembedHref!.replaceAll("&amp;", "&"))).json();
  expect(oembed).toMatchObject({
    version: "1.0",
    type: "video",
    title: "Riding the wave",
    author_name: "Calm corner",
  });
  expect(oembed.html).toContain(`/videos/${id}/embed`);

  const channelPage = await (await html(`${haven.origin}/@calm`)).text();
  expect(channelPage).toContain("Riding the wave");
});

test("a content-warned video shows the warning first, no frame in its preview card", async () => {
  const { id } = await publish({ title: "Hard day", content_warning: "mentions self-harm" });
  const page = await (await html(`${haven.origin}/videos/${id}`)).text();
  const warningAt = page.indexOf("mentions self-harm");
  expect(warningAt).toBeGreaterThan(-1);
  expect(page).toMatch(/<details[^>]*>\s*<summary>/);
  expect(page.indexOf("<video")).toBeGreaterThan(page.indexOf("<details"));
  expect(page).not.toContain('property="og:image"');
  expect(page).not.toContain('property="og:video"');
  expect(page).toContain('preload="none"');
});

test("unknown video: 404 page; oEmbed for an unknown URL: 404", async () => {
  expect((await html(`${haven.origin}/videos/00000000-0000-4000-8000-000000000000`)).status).toBe(
    404,
  );
  const res = await fetch(
    `${haven.origin}/oembed?url=${encodeURIComponent("https://elsewhere.example/videos/x")}`,
  );
  expect(res.status).toBe(404);
});
