import { Video } from "@fedify/vocab";
import { getDocumentLoader } from "@fedify/vocab-runtime";
import { beforeEach, describe, expect, test } from "vitest";
import { buildPeerTubeVideoJson } from "../../federation/objects/peertube-video.ts";
import {
  buildVideoNote,
  mediaDescription,
  noteContentHtml,
} from "../../federation/objects/video-note.ts";
import { pickNodeInfoLink } from "../../federation/videos/instance-software.ts";
import { normalizeTags } from "../../federation/videos/video-face.ts";
import { renderMarkdown } from "../../src/videos/markdown.ts";
import { peertubeVideoProblems } from "../support/peertube-video-check.ts";
import { FACE_ORIGIN, FACE_UUID, videoFace } from "../support/video-face-fixture.ts";

beforeEach(() => {
  expect.hasAssertions();
});

const ORIGIN = FACE_ORIGIN;
const UUID = FACE_UUID;
const face = videoFace;

describe("Markdown subset", () => {
  test("escapes every HTML construct before adding its own markup", () => {
    const html = renderMarkdown(
      `<script>alert(1)</script> <img src=x onerror=alert(1)> "q" & 'a'\n<iframe>`,
    );
    expect(html).toBe(
      "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; \"q\" &amp; 'a'<br />&lt;iframe&gt;</p>",
    );
  });

  test("paragraphs, line breaks, bold, emphasis", () => {
    expect(renderMarkdown("one **two** *three*\nfour\n\n\nfive")).toBe(
      "<p>one <strong>two</strong> <em>three</em><br />four</p><p>five</p>",
    );
  });

  test("links: http(s) only, with rel nofollow noopener noreferrer; others stay text", () => {
    expect(renderMarkdown("[help](https://example.org/a?b=1&c=2)")).toBe(
      '<p><a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">help</a></p>',
    );
    expect(renderMarkdown("[x](javascript:alert(1))")).toBe("<p>[x](javascript:alert(1))</p>");
    // The quote ends the URL: what follows is text, never an attribute.
    const quoted = renderMarkdown('[x](https://e.org/"onmouseover=alert(1))');
    expect(quoted).not.toMatch(/<[^>]*onmouseover/);
    expect(quoted).toContain('href="https://e.org/"');
    // A bare URL as Mastodon links one: scheme hidden, the text still the whole URL.
    expect(renderMarkdown("see https://example.org/x.")).toBe(
      '<p>see <a href="https://example.org/x" target="_blank" rel="nofollow noopener noreferrer" translate="no"><span class="invisible">https://</span><span>example.org/x</span><span class="invisible"></span></a>.</p>',
    );
    expect(renderMarkdown("data:text/html,<b>x</b>")).toBe(
      "<p>data:text/html,&lt;b&gt;x&lt;/b&gt;</p>",
    );
  });

  test("blank input renders nothing", () => {
    expect(renderMarkdown(" \n\n ")).toBe("");
  });
});

describe("the Note face (Mastodon)", () => {
  test("fields Mastodon reads: CW, sensitive, content, language, tags, attachment, url", async () => {
    const json = (await buildVideoNote(face()).toJsonLd()) as Record<string, unknown>;
    expect(json).toMatchObject({
      id: `${ORIGIN}/notes/${UUID}`,
      type: "Note",
      attributedTo: `${ORIGIN}/users/calm`,
      cc: `${ORIGIN}/users/calm/followers`,
      summary: "mentions self-harm",
      sensitive: true,
      url: `${ORIGIN}/notes/${UUID}`, // its own URL, not the Video's (ADR 0011)
      published: "2025-01-02T03:04:05Z",
    });
    expect(["as:Public", "https://www.w3.org/ns/activitystreams#Public"]).toContain(json.to);
    expect(json.updated).toBeUndefined(); // not edited: Mastodon would label it "edited"
    expect((json.contentMap as Record<string, string>).en).toBe(json.content);
    expect(json.tag).toEqual([
      { type: "Hashtag", name: "#bpd", href: `${ORIGIN}/tags/bpd` },
      { type: "Hashtag", name: "#dbt", href: `${ORIGIN}/tags/dbt` },
    ]);
    expect(json.attachment).toMatchObject({
      type: "Document",
      mediaType: "video/mp4",
      url: `${ORIGIN}/media/videos/${UUID}/${UUID}-720.mp4`,
      width: 1280,
      height: 720,
      icon: { type: "Image", url: `${ORIGIN}/media/videos/${UUID}/poster.jpg` },
    });
    expect(String((json.attachment as Record<string, unknown>).name)).toMatch(/^Riding the wave/);
  });

  test("content: escaped title, rendered description, hashtag links, watch link", () => {
    const html = noteContentHtml(face({ title: "<b>Hi</b>" }));
    expect(html).toContain("<p><strong>&lt;b&gt;Hi&lt;/b&gt;</strong></p>");
    expect(html).toContain("<strong>short</strong>");
    expect(html).toContain(
      `<a href="${ORIGIN}/tags/bpd" class="mention hashtag" rel="tag">#<span>bpd</span></a>`,
    );
    expect(html).toContain(`href="${ORIGIN}/notes/${UUID}"`);
    expect(html).not.toContain(`/videos/${UUID}`);
  });

  test("no content warning: no summary, not sensitive; an edit carries `updated`", async () => {
    const json = (await buildVideoNote(face({ contentWarning: null }), {
      edited: true,
    }).toJsonLd()) as Record<string, unknown>;
    expect(json.summary).toBeUndefined();
    expect(json.sensitive).toBe(false);
    expect(json.updated).toBe("2025-01-02T03:04:05Z");
  });

  test("media description: plain text (Markdown markers removed)", () => {
    expect(
      mediaDescription(face({ description: "A **short** [clip](https://e.org)\n\n*ok*" })),
    ).toBe("Riding the wave: A short clip ok");
  });

  test("media description stays within Mastodon's 1,500 characters", () => {
    expect(mediaDescription(face({ description: "x".repeat(5000) })).length).toBe(1500);
  });
});

describe("the Video face (PeerTube)", () => {
  test("passes PeerTube's validator; whole-second duration; integer fps", () => {
    const json = buildPeerTubeVideoJson(face());
    expect(peertubeVideoProblems(json)).toEqual([]);
    expect(json).toMatchObject({
      type: "Video",
      id: `${ORIGIN}/videos/${UUID}`,
      uuid: UUID,
      duration: "PT65S",
      views: 7,
      commentsPolicy: 1,
      sensitive: true,
      summary: "mentions self-harm",
      mediaType: "text/markdown",
      language: { identifier: "en", name: "English" },
      attributedTo: [
        { type: "Person", id: `${ORIGIN}/users/ana` },
        { type: "Group", id: `${ORIGIN}/users/calm` },
      ],
      subtitleLanguage: [
        {
          identifier: "fr",
          name: "French",
          url: `${ORIGIN}/media/videos/${UUID}/captions/fr.vtt`,
        },
      ],
    });
    expect((json.url as unknown[])[1]).toEqual({
      type: "Link",
      mediaType: "video/mp4",
      href: `${ORIGIN}/media/videos/${UUID}/${UUID}-720.mp4`,
      height: 720,
      width: 1280,
      size: 1_234_567,
      fps: 30,
    });
  });

  test("a compact rendition: both files listed, each with its own height and size; posts attach the small one", async () => {
    const compact = {
      url: new URL(`${ORIGIN}/media/videos/${UUID}/${UUID}-360.mp4`),
      width: 640,
      height: 360,
      fps: 29.97,
      sizeBytes: 90_000_000,
    };
    const main = {
      url: new URL(`${ORIGIN}/media/videos/${UUID}/${UUID}-720.mp4`),
      width: 1280,
      height: 720,
      fps: 29.97,
      sizeBytes: 150_000_000,
    };
    const both = face({ sizeBytes: main.sizeBytes, files: [main, compact] });
    const json = buildPeerTubeVideoJson(both);
    expect(peertubeVideoProblems(json)).toEqual([]);
    expect(asArrayOf(json.url).filter((u) => u.mediaType === "video/mp4")).toEqual([
      {
        type: "Link",
        mediaType: "video/mp4",
        href: main.url.href,
        height: 720,
        width: 1280,
        size: 150_000_000,
        fps: 30,
      },
      {
        type: "Link",
        mediaType: "video/mp4",
        href: compact.url.href,
        height: 360,
        width: 640,
        size: 90_000_000,
        fps: 30,
      },
    ]);
    expect(asArrayOf(json.attachment)[0]).toMatchObject({ url: compact.url.href, height: 360 });
    const note = (await buildVideoNote(both).toJsonLd()) as Record<string, unknown>;
    expect(note.attachment).toMatchObject({ url: compact.url.href, width: 640, height: 360 });
    // The checker catches what PeerTube's unique indexes would refuse.
    const clash = buildPeerTubeVideoJson(
      face({
        files: [main, { ...compact, height: 720, url: new URL(`${ORIGIN}/media/x/video.mp4`) }],
      }),
    );
    expect(peertubeVideoProblems(clash)).toEqual([
      'haven: file name "video.mp4" is not unique to this video',
      "haven: two files at height/fps 720/30",
    ]);
  });

  test("closed comments → 2; a too-short description is left out rather than failing", () => {
    const json = buildPeerTubeVideoJson(face({ commentsPolicy: "closed", description: "ok" }));
    expect(json.commentsPolicy).toBe(2);
    expect(json.content).toBeUndefined();
    expect(peertubeVideoProblems(json)).toEqual([]);
  });

  test("aspectRatio as PeerTube computes it (portrait clips too); over-long tags left out", () => {
    expect(buildPeerTubeVideoJson(face()).aspectRatio).toBe(1.7778);
    const portrait = buildPeerTubeVideoJson(
      face({ width: 720, height: 1280, tags: ["bpd", "a".repeat(31)] }),
    );
    expect(portrait.aspectRatio).toBe(0.5625);
    expect(portrait.tag).toEqual([{ type: "Hashtag", name: "bpd", href: `${ORIGIN}/tags/bpd` }]);
    expect(peertubeVideoProblems(portrait)).toEqual([]);
  });

  test("the checker flags what PeerTube refuses, drops, or would misread", () => {
    const good = buildPeerTubeVideoJson(face());
    const check = (patch: Record<string, unknown>) => peertubeVideoProblems({ ...good, ...patch });
    // isUUIDValid(value, 4): a UUIDv7 is refused.
    expect(check({ uuid: "01890a5d-ac96-774b-bcce-b302099a8057" })).toEqual(["uuid"]);
    // MIMETYPES.AP_VIDEO has no video/quicktime: the file Link is dropped.
    const mov = asArrayOf(good.url).map((u) =>
      u.mediaType === "video/mp4" ? { ...u, mediaType: "video/quicktime" } : u,
    );
    expect(check({ url: mov })).toEqual([
      "haven: url has no valid video file Link (nothing to play)",
    ]);
    expect(check({ tag: [{ type: "Hashtag", name: "x" }] })).toEqual(['dropped: tag "x"']);
    expect(check({ content: "hi" })).toEqual(["mediaType/content"]);
    expect(check({ duration: "PT1M5S" })).toEqual([
      "haven: duration is not whole seconds (PeerTube reads only the first number)",
    ]);
    expect(check({ published: "yesterday" })).toEqual(["published"]);
    expect(check({ commentsPolicy: undefined })).toEqual([
      "haven: commentsPolicy missing (PeerTube disables comments)",
    ]);
    expect(check({ subtitleLanguage: [{ url: "https://x.example/fr.vtt" }] })).toEqual([
      "dropped: caption undefined",
    ]);
    // PeerTube 6.3 stores a caption `url` that is not a string as NULL: listed, then 404.
    const linkArray = [{ type: "Link", mediaType: "text/vtt", href: "https://x.example/fr.vtt" }];
    expect(check({ subtitleLanguage: [{ identifier: "fr", url: linkArray }] })).toEqual([
      "haven: caption fr url is not a URL string (stored as NULL)",
    ]);
    // Without likes/dislikes PeerTube 6.3 fails after every import and update.
    expect(check({ likes: undefined })).toEqual([
      "haven: no likes collection (PeerTube 6.3 fails after import)",
    ]);
  });

  test("Video.fromJsonLd serialises back verbatim (extension terms kept)", async () => {
    const raw = buildPeerTubeVideoJson(face());
    const loader = getDocumentLoader();
    const video = await Video.fromJsonLd(raw, { documentLoader: loader, contextLoader: loader });
    const out = (await video.toJsonLd()) as Record<string, unknown>;
    expect(out).toEqual(raw);
  });
});

function asArrayOf(x: unknown): Record<string, unknown>[] {
  return Array.isArray(x) ? x : [];
}

describe("helpers", () => {
  test("hashtags: '#' stripped, Mastodon's alphabet only, deduplicated", () => {
    expect(normalizeTags(["#BPD", "bpd", "dbt skills", "self_care", "", "x".repeat(31)])).toEqual([
      "BPD",
      "self_care",
    ]);
  });

  test("NodeInfo: the newest linked 2.x schema", () => {
    expect(
      pickNodeInfoLink({
        links: [
          { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: "https://a/2.0" },
          { rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: "https://a/2.1" },
          { rel: "http://nodeinfo.diaspora.software/ns/schema/1.0", href: "https://a/1.0" },
        ],
      }),
    ).toBe("https://a/2.1");
    expect(pickNodeInfoLink({ links: [{ rel: "x", href: "https://a" }] })).toBeNull();
    expect(pickNodeInfoLink("nope")).toBeNull();
  });
});
