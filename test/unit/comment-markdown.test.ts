import { beforeEach, describe, expect, test } from "vitest";
import { commentMarkdownToHtml } from "../../src/comments/comment-markdown.ts";
import { sanitizeRemoteHtml } from "../../src/comments/sanitize-html.ts";

beforeEach(() => {
  expect.hasAssertions();
});

const REL = 'rel="nofollow noopener noreferrer"';

describe("commentMarkdownToHtml (PeerTube's text/markdown comments)", () => {
  test("paragraphs, line breaks, bold, emphasis and links", () => {
    expect(
      commentMarkdownToHtml("**hi** *there*\nsee [this](https://a.example/x)\r\n\r\nnext & 'more'"),
    ).toBe(
      `<p><strong>hi</strong> <em>there</em><br />see <a href="https://a.example/x" ${REL}>this</a></p>` +
        "<p>next &amp; 'more'</p>",
    );
  });

  test("bullet and numbered lists, loose or tight, with continuation lines", () => {
    expect(commentMarkdownToHtml("Steps:\n1. breathe\n2) **hold**\n   for four\n\n3. out")).toBe(
      "<p>Steps:</p><ol><li>breathe</li><li><strong>hold</strong><br />for four</li><li>out</li></ol>",
    );
    expect(commentMarkdownToHtml("- a\n* b\n  - nested\n+ c\n\nafter")).toBe(
      "<ul><li>a</li><li>b</li><li>nested</li><li>c</li></ul><p>after</p>",
    );
    // Emphasis at the start of a line is no list marker.
    expect(commentMarkdownToHtml("*calm* now\n**really**")).toBe(
      "<p><em>calm</em> now<br /><strong>really</strong></p>",
    );
  });

  test("autolinks and bare URLs become links; other schemes stay text", () => {
    expect(commentMarkdownToHtml("<https://a.example/?q=1&r=2> and https://b.example/p.")).toBe(
      // Mastodon's shortened-link form (the scheme hidden, the URL kept).
      `<p><a href="https://a.example/?q=1&amp;r=2" target="_blank" ${REL} translate="no">` +
        '<span class="invisible">https://</span><span>a.example/?q=1&amp;r=2</span><span class="invisible"></span></a> and ' +
        `<a href="https://b.example/p" target="_blank" ${REL} translate="no">` +
        '<span class="invisible">https://</span><span>b.example/p</span><span class="invisible"></span></a>.</p>',
    );
    expect(commentMarkdownToHtml("[x](javascript:alert(1))")).not.toContain("<a");
  });

  test("HTML typed into the comment is not markup: code goes with its content, tags go", () => {
    const html = commentMarkdownToHtml(
      'a <script>alert(1)</script><style>p{}</style><iframe src="x"></iframe><b onclick="x()">b</b>' +
        "<img src=x onerror=alert(2)> <3 &lt;tag&gt;",
    );
    expect(html).toBe("<p>a b &lt;3 &lt;tag&gt;</p>");
    // What is stored is this, once more through the allow-list: unchanged but for <br>.
    expect(sanitizeRemoteHtml(commentMarkdownToHtml("x\ny"))).toBe("<p>x<br />y</p>");
  });

  test("blank input → empty", () => {
    expect(commentMarkdownToHtml(" \n\n ")).toBe("");
  });
});
