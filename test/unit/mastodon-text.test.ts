/**
 * Item 15: what Mastodon shows of a Haven post and profile — descriptions and
 * bios rendered (lists, links, hashtags, bold) instead of shown as typed,
 * profile-field links in the one form Mastodon verifies, and the poster's
 * blurhash on the Note's video.
 */

import { Create } from "@fedify/vocab";
import sanitizeHtml from "sanitize-html";
import { beforeEach, describe, expect, test } from "vitest";
import { buildActorJson } from "../../federation/objects/actor.ts";
import { withAttachmentBlurhash } from "../../federation/objects/note-blurhash.ts";
import { buildVideoNote, noteContentHtml } from "../../federation/objects/video-note.ts";
import type { VideoFace } from "../../federation/videos/video-face.ts";
import type { LocalActor } from "../../src/actors/actor.service.ts";
import { profileFieldValueHtml } from "../../src/text/profile-field.ts";
import { renderMarkdown } from "../../src/videos/markdown.ts";
import { FACE_ORIGIN, FACE_UUID, videoFace } from "../support/video-face-fixture.ts";

beforeEach(() => {
  expect.hasAssertions();
});

const ORIGIN = FACE_ORIGIN;
const UUID = FACE_UUID;
const tags = { tagBase: `${ORIGIN}/tags/` };

describe("descriptions and bios: what Mastodon's sanitizer keeps, not the syntax", () => {
  test("`<url>` autolinks are links without their angle brackets", () => {
    const html = renderMarkdown("More: <https://example.org/dbt>");
    expect(html).not.toContain("&lt;");
    expect(html).not.toContain("&gt;");
    expect(html).toContain('<a href="https://example.org/dbt"');
    expect(textOf(html)).toBe("More: https://example.org/dbt");
  });

  test("bullet and numbered lists become ul/ol (Mastodon keeps them), not '- item' text", () => {
    expect(renderMarkdown("Resources:\n- one\n- two **bold**\n* three")).toBe(
      "<p>Resources:</p><ul><li>one</li><li>two <strong>bold</strong></li><li>three</li></ul>",
    );
    expect(renderMarkdown("1. breathe\n2. count\n\n\n3. rest")).toBe(
      "<ol><li>breathe</li><li>count</li><li>rest</li></ol>",
    );
    // Numbered from elsewhere: Mastodon allows `start`.
    expect(renderMarkdown("intro\n\n4. four\n5. five")).toBe(
      '<p>intro</p><ol start="4"><li>four</li><li>five</li></ol>',
    );
  });

  test("CommonMark's edges: a year in a sentence stays text; emphasis is not a bullet", () => {
    expect(renderMarkdown("It was hard in\n2024. Then better")).toBe(
      "<p>It was hard in<br />2024. Then better</p>",
    );
    expect(renderMarkdown("*slowly* now")).toBe("<p><em>slowly</em> now</p>");
    expect(renderMarkdown("- item\ncontinued\n\nafter")).toBe(
      "<ul><li>item<br />continued</li></ul><p>after</p>",
    );
  });

  test("headings are shown as Mastodon shows remote ones: a bold paragraph", () => {
    expect(renderMarkdown("## What helps\nbreathing")).toBe(
      "<p><strong>What helps</strong></p><p>breathing</p>",
    );
  });

  test("#hashtags link as Mastodon's own; numbers, anchors and URL fragments do not", () => {
    const html = renderMarkdown("Try #DBT skills, #1 tip, page#top, https://e.org/#frag", tags);
    expect(html).toContain(
      `<a href="${ORIGIN}/tags/dbt" class="mention hashtag" rel="tag">#<span>DBT</span></a>`,
    );
    expect(html.match(/class="mention hashtag"/g)).toHaveLength(1);
    expect(html).toContain('href="https://e.org/#frag"');
    // Without a tag page to link to (our own watch page), a hashtag stays text.
    expect(renderMarkdown("#DBT")).toBe("<p>#DBT</p>");
  });

  test("whatever the input, only Mastodon's allowed elements and attributes come out", () => {
    const nasty = [
      '<a href="javascript:alert(1)">x</a> [y](javascript:alert(1)) <https://e.org/"><script>',
      "- <img src=x onerror=alert(1)>\n1. **<b>**\n# <h1>\n`<code>` #tag<svg>",
      "[a](https://e.org/\"onmouseover=alert(1)) https://e.org/'onfocus=alert(1)",
    ];
    for (const input of nasty) {
      const html = renderMarkdown(input, tags);
      const strict = sanitizeHtml(html, {
        allowedTags: ["p", "br", "a", "span", "strong", "em", "code", "ul", "ol", "li"],
        allowedAttributes: { a: ["href", "rel", "class", "target", "translate"], span: ["class"] },
        allowedSchemes: ["http", "https"],
      });
      expect(normalise(html), input).toBe(normalise(strict));
      expect(html).not.toMatch(/<(?!\/?(?:p|br|a|span|strong|em|code|ul|ol|li)\b)[a-z]/i);
    }
  });

  test("a channel bio: `**bold**` and lists rendered in the actor's summary", () => {
    const json = buildActorJson(
      actor({ summary: "We are **peers**, not clinicians.\n\n- listen\n- share" }),
      [],
      actorUrls(),
    );
    expect(json.summary).toBe(
      "<p>We are <strong>peers</strong>, not clinicians.</p><ul><li>listen</li><li>share</li></ul>",
    );
  });
});

describe("the Note: description hashtags are real hashtags", () => {
  test("linked in the content and listed in `tag` (once, beside the video's own tags)", async () => {
    const f = face({ description: "For #Grounding and #dbt practice.", tags: ["bpd", "dbt"] });
    const html = noteContentHtml(f);
    expect(html).toContain(
      `<a href="${ORIGIN}/tags/grounding" class="mention hashtag" rel="tag">#<span>Grounding</span></a>`,
    );
    // #dbt is in the description already: the trailing tag line does not repeat it.
    expect(html.match(/#<span>dbt<\/span>/g)).toHaveLength(1);
    const json = (await buildVideoNote(f).toJsonLd()) as Record<string, unknown>;
    expect(json.tag).toEqual([
      { type: "Hashtag", name: "#bpd", href: `${ORIGIN}/tags/bpd` },
      { type: "Hashtag", name: "#dbt", href: `${ORIGIN}/tags/dbt` },
      { type: "Hashtag", name: "#Grounding", href: `${ORIGIN}/tags/grounding` },
    ]);
  });
});

describe("profile fields as Mastodon sends them", () => {
  test("a URL value: Mastodon's exact link, rel=me, its text the URL itself", () => {
    expect(profileFieldValueHtml("https://988lifeline.org")).toBe(
      '<a href="https://988lifeline.org" target="_blank" rel="nofollow noopener me" translate="no"><span class="invisible">https://</span><span class="">988lifeline.org</span><span class="invisible"></span></a>',
    );
  });

  test("Mastodon verifies it: one <a>, nothing else, whose text equals its href", () => {
    for (const url of [
      "https://988lifeline.org",
      "https://www.samaritans.org/how-we-can-help/contact-samaritan/",
      "https://example.org/a?b=1&c=2",
    ]) {
      const html = profileFieldValueHtml(url);
      // Account::Field#extract_url_from_html: a single element, an <a>, href == text.
      const single = /^<a href="([^"]*)"[^>]*>(.*)<\/a>$/.exec(html);
      expect(single, url).not.toBeNull();
      expect(decode(single![1]!)).toBe(url);
      expect(textOf(single![2]!)).toBe(url);
      expect(html).toMatch(/rel="[^"]*\bme\b/);
    }
    // Long ones are shortened for display, still whole in the text.
    expect(profileFieldValueHtml(`https://example.org/${"a".repeat(40)}`)).toContain(
      '<span class="ellipsis">',
    );
  });

  test("text stays escaped text; URLs inside it are linked, others are not", () => {
    expect(profileFieldValueHtml("Call 988 <anytime> & text")).toBe(
      "Call 988 &lt;anytime&gt; &amp; text",
    );
    const mixed = profileFieldValueHtml("Chat: https://e.org/chat. Not javascript:alert(1)");
    expect(mixed).toMatch(/^Chat: <a href="https:\/\/e\.org\/chat" /);
    expect(mixed).toMatch(/<\/a>\. Not javascript:alert\(1\)$/);
  });

  test("in the actor document's PropertyValue", () => {
    const json = buildActorJson(
      actor({ fields: [{ name: "Crisis line", value: "https://988lifeline.org" }] }),
      [],
      actorUrls(),
    );
    expect(json.attachment).toEqual([
      {
        type: "PropertyValue",
        name: "Crisis line",
        value: profileFieldValueHtml("https://988lifeline.org"),
      },
    ]);
  });
});

describe("blurhash on the Note's video Document", () => {
  const BLURHASH = "UKO2?U%2Tw=w]~RBVZRi};RPxuwH%3s8tLOt";

  test("added to the Note's JSON, with its term in the context", async () => {
    const f = face({ blurhash: BLURHASH });
    const note = (await buildVideoNote(f).toJsonLd({ format: "compact" })) as Record<
      string,
      unknown
    >;
    const out = withAttachmentBlurhash(note, f);
    const [media] = asArray(out.attachment);
    expect(media).toMatchObject({ type: "Document", mediaType: "video/mp4", blurhash: BLURHASH });
    expect(JSON.stringify(out["@context"])).toContain('"blurhash":"toot:blurhash"');
    expect(JSON.stringify(note)).not.toContain(BLURHASH); // the input is left as it was
  });

  test("inside an activity embedding the Note; none without a blurhash", async () => {
    const f = face({ blurhash: BLURHASH });
    const create = (await new Create({
      id: new URL(`${ORIGIN}/notes/${UUID}/activity`),
      object: buildVideoNote(f),
    }).toJsonLd({ format: "compact" })) as Record<string, unknown>;
    const out = withAttachmentBlurhash(create, f);
    const [media] = asArray((out.object as Record<string, unknown>).attachment);
    expect(media?.blurhash).toBe(BLURHASH);
    const plain = (await buildVideoNote(face()).toJsonLd()) as Record<string, unknown>;
    expect(withAttachmentBlurhash(plain, face())).toBe(plain);
  });
});

/** The shared face with this file's defaults: no description, tags, captions or blurhash. */
function face(overrides: Partial<VideoFace> = {}): VideoFace {
  return videoFace({
    description: "",
    tags: [],
    commentsPolicy: "open",
    fps: 30,
    sizeBytes: 1000,
    views: 0,
    captions: [],
    blurhash: null,
    ...overrides,
  });
}

function actor(overrides: Partial<LocalActor>): LocalActor {
  return {
    kind: "group",
    handle: "calm",
    displayName: "Calm corner",
    summary: "",
    fields: [],
    manuallyApprovesFollowers: false,
    discoverable: true,
    indexable: true,
    avatarUrl: null,
    headerUrl: null,
    createdAt: new Date("2025-01-01T00:00:00.000Z"),
    ...overrides,
  } as LocalActor;
}

function actorUrls() {
  const id = new URL(`${ORIGIN}/users/calm`);
  return {
    id,
    inbox: new URL(`${id.href}/inbox`),
    sharedInbox: new URL(`${ORIGIN}/inbox`),
    outbox: new URL(`${id.href}/outbox`),
    followers: new URL(`${id.href}/followers`),
    following: new URL(`${id.href}/following`),
    profilePage: new URL(`${ORIGIN}/@calm`),
  };
}

function asArray(x: unknown): Record<string, unknown>[] {
  return (Array.isArray(x) ? x : x === undefined ? [] : [x]) as Record<string, unknown>[];
}

function decode(html: string): string {
  return html
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/** The text a reader sees (hidden spans included: they are part of the text). */
function textOf(html: string): string {
  return decode(html.replace(/<[^>]*>/g, ""));
}

function normalise(html: string): string {
  return html.replace(/<br \/>/g, "<br>");
}
