/**
 * The public pages over plain HTTP (no browser): the home page, and the watch page of a portrait
 * clip with captions in two languages — a player that fits a phone screen, a caption track on by
 * default, and a transcript of the cues below the player.
 */
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
const work = mkdtempSync(join(tmpdir(), "haven-public-"));

const FR_VTT = `WEBVTT

NOTE a comment block, not a cue

1
00:00.000 --> 00:00.800
<v Camille>Respire &amp; compte jusqu'à quatre.</v>

00:00:00.800 --> 00:00:01.900 align:start
Puis <i>relâche</i>.
`;
const EN_VTT = "WEBVTT\n\n00:00.000 --> 00:01.000\nBreathe and count to four.\n";

async function createChannel(name: string, displayName: string) {
  const res = await fetch(`${haven.origin}/api/v1/channels`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name, display_name: displayName }),
  });
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  t = await createTestDatabase();
  haven = await startHaven(t.database, {
    env: {
      INSTANCE_NAME: "Harbour Haven",
      INSTANCE_DESCRIPTION: "Peer support clips <b>for</b> the harbour community.",
    },
  });
  token = (await haven.createUser("host")).token;
  await createChannel("calm", "Calm corner");
  await createChannel("skills", "DBT skills");
});
afterAll(async () => {
  await haven?.close();
  await t?.close();
  rmSync(work, { recursive: true, force: true });
});

test("home page: the instance's name and description, crisis resources, every channel", async () => {
  const res = await fetch(`${haven.origin}/`);
  expect(res.status).toBe(200);
  const page = await res.text();
  expect(page).toContain("<title>Harbour Haven</title>");
  expect(page).toContain("<h1>Harbour Haven</h1>");
  // The description is text from an environment variable: escaped, not markup.
  expect(page).toContain("Peer support clips &lt;b&gt;for&lt;/b&gt; the harbour community.");
  expect(page).toContain('id="crisis-resources"');
  expect(page).toContain("Need help now?");
  for (const [handle, name] of [
    ["calm", "Calm corner"],
    ["skills", "DBT skills"],
  ]) {
    expect(page).toContain(`<a href="/@${handle}">${name}</a>`);
    expect(page).toContain(`@${handle}@${haven.host}`);
  }
  // Phone-ready without JavaScript: a viewport, no script, media never wider than the screen.
  expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
  expect(page).not.toContain("<script");
  // The page's stylesheet (one file, so the CSP needs no inline styles blocks).
  expect(page).toContain('<link rel="stylesheet" href="/static/haven.css"/>');
  const css = await (await fetch(`${haven.origin}/static/haven.css`)).text();
  expect(css).toContain("img,video{max-width:100%}");
});

test("watch page of a portrait clip: fits the screen, captions on by default, a transcript", async () => {
  const body = new FormData();
  body.set("channel", "calm");
  body.set("title", "Box breathing");
  body.set("language", "fr");
  const mp4 = await makeTestVideo(work, { seconds: 2, width: 90, height: 160 });
  body.set("file", new Blob([readFileSync(mp4)]), "clip.mp4");
  body.set("captions[en]", new Blob([EN_VTT], { type: "text/vtt" }), "en.vtt");
  body.set("captions[fr]", new Blob([FR_VTT], { type: "text/vtt" }), "fr.vtt");
  const res = await fetch(`${haven.origin}/api/v1/videos`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body,
  });
  expect(res.status).toBe(202);
  const { id } = await res.json();
  let video: { state: string; width: number; height: number } | undefined;
  for (let i = 0; i < 300 && video?.state !== "published"; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    video = await (await fetch(`${haven.origin}/api/v1/videos/${id}`)).json();
    expect(video?.state).not.toBe("failed");
  }
  expect(video?.state).toBe("published");
  const { width, height } = video!;
  expect(height).toBeGreaterThan(width);

  const page = await (await fetch(`${haven.origin}/videos/${id}`)).text();
  const player = /<video[^>]*>/.exec(page)?.[0] ?? "";
  // The box has the clip's own shape and is never taller than 80 % of the screen.
  expect(player).toContain(`aspect-ratio:${width} / ${height}`);
  expect(player).toContain("max-height:80vh");
  expect(player).toMatch(/width:min\(100%, calc\(80vh \* 0\.5\d*\)\)/);
  expect(player).toContain(`width="${width}"`);

  // One track per language, labelled by name; the video's own language on by default.
  const tracks = page.match(/<track [^>]*>/g) ?? [];
  expect(tracks).toHaveLength(2);
  const fr = tracks.find((tr) => tr.includes('srclang="fr"')) ?? "";
  const en = tracks.find((tr) => tr.includes('srclang="en"')) ?? "";
  expect(fr).toContain('label="French"');
  expect(fr).toMatch(/ default(?:=""| |\/|>)/);
  expect(en).toContain('label="English"');
  expect(en).not.toContain("default");

  // The transcript: below the player, the cues' words (markup stripped) with their times.
  const transcriptAt = page.indexOf('id="transcript-heading"');
  expect(transcriptAt).toBeGreaterThan(page.indexOf("</video>"));
  const transcript = page.slice(transcriptAt);
  expect(transcript).toContain(
    '<span class="cue-time">0:00</span> Respire &amp; compte jusqu&#39;à quatre.',
  );
  expect(transcript).toContain('<span class="cue-time">0:00</span> Puis relâche.');
  expect(transcript).toContain("Breathe and count to four.");
  expect(transcript).not.toContain("a comment block");
  expect(transcript).not.toContain("&lt;v");
  // The channel can be followed from the watch page too.
  expect(page).toContain('<form method="post" action="/@calm/remote-follow"');
  expect(page).not.toContain("<script");
});
