import { beforeEach, describe, expect, test } from "vitest";
import {
  cleanDisplayName,
  htmlToPlainText,
  LINK_REL,
  sanitizeRemoteHtml,
} from "../../src/comments/sanitize-html.ts";

beforeEach(() => {
  expect.hasAssertions();
});

describe("sanitizeRemoteHtml (SECURITY #29)", () => {
  test("keeps Mastodon's reply markup: paragraphs, mention h-card, hashtag, links", () => {
    const mastodon =
      '<p><span class="h-card" translate="no"><a href="https://haven.example/users/calm" class="u-url mention">@<span>calm</span></a></span> thank you <a href="https://m.example/tags/bpd" class="mention hashtag" rel="tag">#<span>bpd</span></a><br>line two</p>';
    expect(sanitizeRemoteHtml(mastodon)).toBe(
      `<p><span class="h-card"><a href="https://haven.example/users/calm" class="u-url mention" rel="${LINK_REL}" target="_blank">@<span>calm</span></a></span> thank you <a href="https://m.example/tags/bpd" class="mention hashtag" rel="${LINK_REL}" target="_blank">#<span>bpd</span></a><br />line two</p>`,
    );
  });

  test("keeps the allowed formatting elements", () => {
    const html =
      "<p><strong>a</strong><em>b</em><b>c</b><i>d</i><u>e</u><del>f</del><code>g</code></p><pre>h</pre><blockquote>i</blockquote><ul><li>j</li></ul><ol><li>k</li></ol>";
    expect(sanitizeRemoteHtml(html)).toBe(html);
  });

  test.each([
    ["<script>", "<p>hi<script>alert(1)</script></p>", "<p>hi</p>"],
    ["<style>", "<style>body{display:none}</style><p>x</p>", "<p>x</p>"],
    ["<iframe>", '<iframe src="https://evil.example/"></iframe><p>x</p>', "<p>x</p>"],
    ["<svg onload>", '<svg onload="alert(1)"><circle/><text>svg text</text></svg>ok', "ok"],
    ["<math>", "<math><mi>x</mi></math>ok", "ok"],
    ["<object>", '<object data="x.swf"><param name="a"></object>ok', "ok"],
    ["<img onerror>", '<p><img src="x" onerror="alert(1)">pic</p>', "<p>pic</p>"],
    ["onclick", '<p onclick="alert(1)">x</p>', "<p>x</p>"],
    ["style=", '<p style="position:fixed;top:0">x</p>', "<p>x</p>"],
    [
      "unknown class",
      '<span class="invisible evil mention">x</span>',
      '<span class="mention">x</span>',
    ],
    ["<form>", '<form action="https://evil.example"><input name="pw">x</form>', "x"],
    ["<meta refresh>", '<meta http-equiv="refresh" content="0;url=https://evil.example">x', "x"],
    ["<base>", '<base href="https://evil.example/">x', "x"],
    ["<link>", '<link rel="stylesheet" href="https://evil.example/x.css">x', "x"],
  ])("drops %s", (_name, input, expected) => {
    expect(sanitizeRemoteHtml(input)).toBe(expected);
  });

  test.each([
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "&#106;avascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "file:///etc/passwd",
  ])("a link to %s loses its href", (href) => {
    const out = sanitizeRemoteHtml(`<a href="${href}">x</a>`);
    expect(out).not.toContain("href");
    expect(out).toBe(`<a rel="${LINK_REL}" target="_blank">x</a>`);
  });

  test("http, https and mailto links stay, with rel replaced and target added", () => {
    for (const href of [
      "http://a.example/",
      "https://a.example/x?y=1&amp;z=2",
      "mailto:a@b.example",
    ]) {
      expect(sanitizeRemoteHtml(`<a href="${href}" rel="opener" target="_self">x</a>`)).toBe(
        `<a href="${href}" rel="${LINK_REL}" target="_blank">x</a>`,
      );
    }
  });

  test("text that looks like markup stays text", () => {
    expect(sanitizeRemoteHtml("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")).toBe(
      "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
    );
    expect(sanitizeRemoteHtml('<p title="x"><</p>')).toBe("<p>&lt;</p>");
  });

  test("unclosed and mis-nested tags come out well-formed", () => {
    expect(sanitizeRemoteHtml("<p><strong>bold<em>both</p>after")).toBe(
      "<p><strong>bold<em>both</em></strong></p>after",
    );
  });
});

describe("htmlToPlainText", () => {
  test("strips tags, keeps line breaks, decodes entities once", () => {
    expect(htmlToPlainText("<p>one<br>two</p><p>three &amp; &lt;four&gt;</p>")).toBe(
      "one\ntwo\n\nthree & <four>",
    );
    expect(htmlToPlainText("a<script>alert(1)</script>b")).toBe("ab");
    expect(htmlToPlainText("&amp;lt;")).toBe("&lt;");
  });
});

describe("cleanDisplayName (SECURITY #30)", () => {
  test("removes right-to-left overrides, isolates and zero-width characters", () => {
    expect(cleanDisplayName("admin\u202Egnp.exe")).toBe("admingnp.exe");
    expect(cleanDisplayName("Haven\u200B \u2066Staff\u2069\uFEFF")).toBe("Haven Staff");
    expect(cleanDisplayName("line\nbreak\u0007")).toBe("line break");
  });
  test("keeps real scripts and emoji sequences; caps the length", () => {
    expect(cleanDisplayName("سارة 👩‍👩‍👧")).toBe("سارة 👩‍👩‍👧");
    expect([...cleanDisplayName("x".repeat(500))]).toHaveLength(100);
  });
});
