import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import {
  domainDigest,
  parseDomainBlockParams,
  publicDomain,
  railsBoolean,
  toMastodonAdminDomainAllow,
  toMastodonAdminDomainBlock,
  toMastodonExistingDomainBlockError,
  toPublicDomainBlock,
} from "../../src/moderation/mastodon.ts";
import type { DomainBlock } from "../../src/moderation/types.ts";

const row: DomainBlock = {
  id: 42,
  domain: "example.com",
  severity: "suspend",
  rejectMedia: true,
  rejectReports: false,
  privateComment: "internal note",
  publicComment: "harassment",
  obfuscate: true,
  createdAt: new Date("2022-11-16T08:15:34.238Z"),
  updatedAt: new Date("2022-11-17T00:00:00.000Z"),
};

describe("obfuscation (DomainBlock#public_domain)", () => {
  // Worked by hand from Mastodon's algorithm: with n = length and r = n / 4
  // (integer division), characters at r < i < n - r become * unless a dot.
  test.each([
    ["example.com", "exa****.*om"],
    ["a.b", "a.*"],
    ["abcd", "ab*d"],
    ["mastodon.social", "mast****.***ial"],
    ["xn--bcher-kva.example", "xn--bc*******.**ample"],
  ])("%s → %s", (domain, expected) => {
    expect(publicDomain(domain, true)).toBe(expected);
  });

  test("only when obfuscate is on", () => {
    expect(publicDomain("example.com", false)).toBe("example.com");
  });
});

describe("serializers", () => {
  test("admin domain block has Mastodon's keys, string id and sha256 digest", () => {
    expect(toMastodonAdminDomainBlock(row)).toEqual({
      id: "42",
      domain: "example.com",
      digest: createHash("sha256").update("example.com").digest("hex"),
      created_at: "2022-11-16T08:15:34.238Z",
      severity: "suspend",
      reject_media: true,
      reject_reports: false,
      private_comment: "internal note",
      public_comment: "harassment",
      obfuscate: true,
    });
    expect(domainDigest("example.com")).toBe(
      "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947",
    );
  });

  test("admin domain allow", () => {
    expect(
      toMastodonAdminDomainAllow({
        id: 7,
        domain: "friends.example",
        createdAt: new Date("2023-01-01T00:00:00.000Z"),
        updatedAt: new Date("2023-01-01T00:00:00.000Z"),
      }),
    ).toEqual({ id: "7", domain: "friends.example", created_at: "2023-01-01T00:00:00.000Z" });
  });

  test("public domain block obfuscates and keeps the real digest", () => {
    expect(toPublicDomainBlock(row)).toEqual({
      domain: "exa****.*om",
      digest: domainDigest("example.com"),
      severity: "suspend",
      comment: "harassment",
    });
    expect(toPublicDomainBlock(row, { withComment: false }).comment).toBeNull();
  });

  test("existing-block error body", () => {
    const body = toMastodonExistingDomainBlockError(row);
    expect(body.error).toBe("You have already imposed stricter limits on example.com.");
    expect(body.existing_domain_block.id).toBe("42");
  });
});

describe("parameter parsing", () => {
  test("Rails booleans: a short list is false, anything else true", () => {
    for (const v of ["0", "f", "F", "false", "FALSE", "off", "OFF", false, 0, ""]) {
      expect(railsBoolean(v)).toBe(false);
    }
    for (const v of ["1", "true", "on", "t", "yes", true, 1]) expect(railsBoolean(v)).toBe(true);
    expect(railsBoolean(undefined)).toBeUndefined();
  });

  test("create from form fields", () => {
    const parsed = parseDomainBlockParams(
      {
        domain: " Example.COM. ",
        severity: "silence",
        reject_media: "on",
        reject_reports: "0",
        obfuscate: "true",
        public_comment: "spam",
      },
      "create",
    );
    expect(parsed).toEqual({
      ok: true,
      value: {
        domain: "example.com",
        severity: "silence",
        rejectMedia: true,
        rejectReports: false,
        obfuscate: true,
        publicComment: "spam",
      },
    });
  });

  test("Mastodon's 422 messages", () => {
    expect(parseDomainBlockParams({ domain: "example.com", severity: "ban" }, "create")).toEqual({
      ok: false,
      error: {
        kind: "unprocessable",
        message: "Validation failed: Severity is not included in the list",
      },
    });
    expect(parseDomainBlockParams({}, "create")).toEqual({
      ok: false,
      error: { kind: "unprocessable", message: "Validation failed: Domain can't be blank" },
    });
    const invalid = parseDomainBlockParams({ domain: "exa mple.com" }, "create");
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(invalid.error.message).toMatch(/^Validation failed: Domain is invalid/);
  });

  test("update takes only what is given", () => {
    expect(
      parseDomainBlockParams({ severity: "noop", domain: "ignored.example" }, "update"),
    ).toEqual({ ok: true, value: { severity: "noop" } });
  });
});
