/**
 * Item 15a: the poster's BlurHash, computed once while the video is
 * processed (real ffmpeg) and stored on the video row, for the Note's
 * attachment: Mastodon shows it behind a content warning until it has the
 * file, and for good where it refuses the media.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, isBlurhashValid } from "blurhash";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { supportVideos } from "../../src/db/schema/index.ts";
import { imageBlurhash } from "../../src/media/blurhash.ts";
import { resolveMediaBinaries, runTool } from "../../src/media/media-tools.ts";
import { createTestDatabase, type TestDatabase } from "../support/db.ts";
import { startHaven, type TestHaven } from "../support/haven.ts";
import { makeTestVideo } from "../support/media-fixtures.ts";

const work = mkdtempSync(join(tmpdir(), "haven-blurhash-"));
let t: TestDatabase;
let haven: TestHaven;
let token: string;

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
  await haven?.close();
  await t?.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  expect.hasAssertions();
});

/** A one-colour JPEG made by ffmpeg. */
async function solidJpeg(name: string, color: string, width: number, height: number) {
  const path = join(work, name);
  const run = await runTool(
    resolveMediaBinaries().ffmpeg,
    [
      "-nostdin",
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      `color=c=${color}:s=${width}x${height}`,
    ].concat(["-frames:v", "1", "-q:v", "2", "-f", "image2", "-update", "1", "-y", path]),
    { timeoutMs: 30_000 },
  );
  expect(run.exitCode).toBe(0);
  return path;
}

/** Mastodon's own shape: 4×4 components (first character), and accepted by its checks. */
function expectMastodonShaped(hash: string | null | undefined) {
  expect(hash).toBeTruthy();
  expect(isBlurhashValid(hash!).result).toBe(true);
  // Size flag = (x − 1) + (y − 1) × 9 = 30 → "U" in base 83.
  expect(hash![0]).toBe("U");
  expect(hash).toMatch(/^[\w#$%*+,-.:;=?@[\]^{|}~]+$/);
}

describe("imageBlurhash", () => {
  test("the colours of the image, at Mastodon's 4×4 components", async () => {
    const red = await solidJpeg("red.jpg", "0xd02020", 640, 360);
    const hash = await imageBlurhash(red, { width: 640, height: 360 });
    expectMastodonShaped(hash);
    const pixels = decode(hash!, 8, 8);
    const [r, g, b] = [pixels[0]!, pixels[1]!, pixels[2]!];
    expect(r).toBeGreaterThan(180);
    expect(g).toBeLessThan(70);
    expect(b).toBeLessThan(70);
  });

  test("portrait posters too; an unreadable file gives none (no failure)", async () => {
    const tall = await solidJpeg("tall.jpg", "blue", 360, 640);
    expectMastodonShaped(await imageBlurhash(tall, { width: 360, height: 640 }));
    const junk = join(work, "junk.jpg");
    writeFileSync(junk, "not an image");
    expect(await imageBlurhash(junk, { width: 640, height: 360 })).toBeNull();
  });
});

test("processing an uploaded video stores its poster's blurhash on the video", async () => {
  const body = new FormData();
  body.set("channel", "calm");
  body.set("title", "Riding the wave");
  body.set("content_warning", "mentions self-harm");
  const mp4 = await makeTestVideo(work, { codec: "h264", seconds: 1 });
  body.set("file", new Blob([readFileSync(mp4)]), "clip.mp4");
  const res = await fetch(`${haven.origin}/api/v1/videos`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body,
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const row = await waitForPublished(id);
  expectMastodonShaped(row.blurhash);
});

async function waitForPublished(id: string) {
  const db = haven.deps.database.db;
  // Processing is a background job: wait for its outcome, not for a time.
  for (;;) {
    const [row] = await db.select().from(supportVideos).where(eq(supportVideos.id, id));
    if (row?.state === "published") return row;
    if (row?.state === "failed") throw new Error(`processing failed: ${row.failureReason}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
