import { describe, expect, test } from "vitest";
import { parseBlocklist } from "../../src/moderation/blocklist-parse.ts";
import { parseCsvRecords } from "../../src/moderation/csv.ts";

// Shaped like a real Mastodon 4.x export (Admin::ExportDomainBlocksController).
const MASTODON_EXPORT = [
  "\uFEFF#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
  "spam.example,suspend,false,false,Spam and harassment,false",
  'bad.example,silence,true,true,"Hate speech, doxxing",false',
  'quoted.example,suspend,false,false,"He said ""no"", twice",true',
  "BÜCHER.example.,noop,true,false,,false",
  "",
  'multi.example,suspend,false,false,"line one',
  'line two",false',
  "not a domain,suspend,false,false,,false",
  "bad-severity.example,obliterate,false,false,,false",
  "bad-flag.example,suspend,maybe,false,,false",
  "spam.example,silence,true,false,Spam,false",
  "Bad.Example,suspend,false,false,doxxing,false",
].join("\r\n");

describe("Mastodon CSV export", () => {
  const parsed = parseBlocklist(MASTODON_EXPORT);

  test("is recognised by its header", () => {
    expect(parsed.format).toBe("mastodon_csv");
    expect(parsed.fatal).toBeNull();
  });

  test("reads every column, quoted fields and IDN included", () => {
    const bad = parsed.entries.find((e) => e.domain === "bad.example");
    expect(bad).toMatchObject({ line: 3, rejectMedia: true, rejectReports: true });
    const quoted = parsed.entries.find((e) => e.domain === "quoted.example");
    expect(quoted).toMatchObject({
      severity: "suspend",
      publicComment: 'He said "no", twice',
      obfuscate: true,
    });
    const idn = parsed.entries.find((e) => e.domain === "xn--bcher-kva.example");
    expect(idn).toMatchObject({
      line: 5,
      severity: "noop",
      rejectMedia: true,
      publicComment: null,
    });
    const multi = parsed.entries.find((e) => e.domain === "multi.example");
    expect(multi).toMatchObject({ line: 7, publicComment: "line one\r\nline two" });
  });

  test("reports malformed rows with their 1-based line and reason", () => {
    expect(parsed.errors).toEqual([
      { line: 9, message: expect.stringMatching(/"not a domain" is not a valid domain/) },
      { line: 10, message: 'unknown severity "obliterate" (expected suspend, silence or noop)' },
      { line: 11, message: 'reject_media must be true or false (got "maybe")' },
    ]);
  });

  test("merges duplicates, the harshest winning, and reports them", () => {
    expect(parsed.duplicates.map((d) => d.line)).toEqual([12, 13]);
    expect(parsed.duplicates[0]!.message).toMatch(/spam.example is already listed on line 2/);
    const spam = parsed.entries.filter((e) => e.domain === "spam.example");
    expect(spam).toHaveLength(1);
    expect(spam[0]).toMatchObject({
      line: 2,
      severity: "suspend",
      rejectMedia: true,
      publicComment: "Spam and harassment, Spam",
    });
    const bad = parsed.entries.find((e) => e.domain === "bad.example");
    expect(bad).toMatchObject({ severity: "suspend", publicComment: "Hate speech, doxxing" });
  });

  test("keeps the first appearance order", () => {
    expect(parsed.entries.map((e) => e.domain)).toEqual([
      "spam.example",
      "bad.example",
      "quoted.example",
      "xn--bcher-kva.example",
      "multi.example",
    ]);
  });

  test("a header with only some columns uses Mastodon's defaults (suspend, false)", () => {
    const only = parseBlocklist("#domain,#public_comment\nexample.org,trolls\n");
    expect(only.entries).toEqual([
      {
        line: 2,
        domain: "example.org",
        severity: "suspend",
        rejectMedia: false,
        rejectReports: false,
        obfuscate: false,
        publicComment: "trolls",
        privateComment: null,
      },
    ]);
  });
});

describe("plain lists", () => {
  const PLAIN = [
    "# Shared blocklist, updated weekly",
    "// another comment style",
    "",
    "Spam.Example",
    "  harass.example   # doxxing campaign",
    "spam.example.",
    "*.wild.example",
    "https://url.example/",
    "csvish.example,silence,true,false,rude,false",
    "   ",
    "last.example",
    "commented.example # spam, bots and worse",
  ].join("\n");
  const parsed = parseBlocklist(PLAIN);

  test("one domain per line; comments, blank lines and inline comments tolerated", () => {
    expect(parsed.format).toBe("plain");
    expect(parsed.entries.map((e) => [e.line, e.domain, e.severity])).toEqual([
      [4, "spam.example", "suspend"],
      [5, "harass.example", "suspend"],
      [7, "wild.example", "suspend"],
      [9, "csvish.example", "silence"],
      [11, "last.example", "suspend"],
      [12, "commented.example", "suspend"],
    ]);
  });

  test("a header-less CSV row is read with Mastodon's columns", () => {
    expect(parsed.entries.find((e) => e.domain === "csvish.example")).toMatchObject({
      rejectMedia: true,
      publicComment: "rude",
    });
  });

  test("duplicates and garbage are reported by line", () => {
    expect(parsed.duplicates).toEqual([
      { line: 6, message: expect.stringMatching(/spam.example is already listed on line 4/) },
    ]);
    expect(parsed.errors).toEqual([
      { line: 8, message: expect.stringMatching(/looks like a URL/) },
    ]);
  });

  test("LF, CRLF and lone CR give the same lines", () => {
    const lf = parseBlocklist("a.example\n\nb.example\n");
    const crlf = parseBlocklist("a.example\r\n\r\nb.example\r\n");
    const cr = parseBlocklist("a.example\r\rb.example\r");
    for (const p of [lf, crlf, cr]) {
      expect(p.entries.map((e) => [e.line, e.domain])).toEqual([
        [1, "a.example"],
        [3, "b.example"],
      ]);
    }
  });
});

describe("Mastodon API JSON", () => {
  const JSON_LIST = JSON.stringify([
    {
      domain: "spam.example",
      digest: "a".repeat(64),
      severity: "suspend",
      comment: "spam",
    },
    { domain: "quiet.example", digest: "b".repeat(64), severity: "silence", comment: null },
    { domain: "exa****.*om", digest: "C".repeat(64), severity: "suspend", comment: "secret" },
    { domain: "gts.example", suspended_at: "2020-05-13T13:29:12.000Z", public_comment: "gts" },
    { domain: "odd.example", severity: "nuke" },
    { nodomain: true },
    "string",
  ]);
  const parsed = parseBlocklist(JSON_LIST, { contentType: "application/json; charset=utf-8" });

  test("entries, with comment as public comment", () => {
    expect(parsed.format).toBe("mastodon_json");
    expect(parsed.entries.map((e) => [e.line, e.domain, e.severity, e.publicComment])).toEqual([
      [1, "spam.example", "suspend", "spam"],
      [2, "quiet.example", "silence", null],
      [4, "gts.example", "suspend", "gts"],
    ]);
  });

  test("obfuscated entries are set aside with their digest", () => {
    expect(parsed.obfuscated).toEqual([
      expect.objectContaining({ line: 3, domain: "exa****.*om", digest: "c".repeat(64) }),
    ]);
  });

  test("bad entries are reported by position", () => {
    expect(parsed.errors).toEqual([
      { line: 5, message: 'unknown severity "nuke" (expected suspend, silence or noop)' },
      { line: 6, message: "the entry has no domain" },
      { line: 7, message: "the entry is not an object" },
    ]);
  });

  test("a body that is not a JSON array is fatal", () => {
    expect(parseBlocklist("[not json", { format: "mastodon_json" }).fatal).toMatch(
      /not valid JSON/,
    );
    expect(parseBlocklist('{"domain":"x"}', { format: "mastodon_json" }).fatal).toMatch(
      /not an array/,
    );
  });
});

describe("CSV records", () => {
  test("an unterminated quote is reported at the line it starts", () => {
    const records = parseCsvRecords('a.example\nb.example,"open\nc.example\n');
    expect(records.at(-1)).toEqual({
      line: 2,
      fields: [],
      error: "a quoted field is never closed",
    });
    expect(parseBlocklist('#domain,#public_comment\nb.example,"open\n').errors).toEqual([
      { line: 2, message: "a quoted field is never closed" },
    ]);
  });

  test("text after a closing quote is malformed", () => {
    expect(parseCsvRecords('"a"b,c')).toEqual([
      { line: 1, fields: ["a", "c"], error: "unexpected text after a closing quote" },
    ]);
  });
});
