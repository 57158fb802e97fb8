import { describe, expect, test } from "vitest";
import {
  coveringDomains,
  domainOfUrl,
  isSameOrSubdomain,
  normalizeDomain,
} from "../../src/moderation/domain.ts";

function normalized(input: string): string {
  const result = normalizeDomain(input);
  if (!result.ok) throw new Error(`expected ${input} to be valid: ${result.message}`);
  return result.domain;
}

function rejection(input: string): string {
  const result = normalizeDomain(input);
  if (result.ok) throw new Error(`expected ${input} to be refused, got ${result.domain}`);
  return result.message;
}

describe("normalizeDomain", () => {
  test("case, whitespace and one trailing dot make one entry", () => {
    expect(normalized("EXAMPLE.com.")).toBe("example.com");
    expect(normalized("  Example.COM ")).toBe("example.com");
    expect(normalized("example.com")).toBe("example.com");
  });

  test("IDN becomes punycode", () => {
    expect(normalized("bücher.example")).toBe("xn--bcher-kva.example");
    expect(normalized("BÜCHER.Example.")).toBe("xn--bcher-kva.example");
    expect(normalized("xn--bcher-kva.example")).toBe("xn--bcher-kva.example");
    expect(normalized("例え.テスト")).toBe("xn--r8jz45g.xn--zckzah");
  });

  test("ports are stripped", () => {
    expect(normalized("example.com:8443")).toBe("example.com");
    expect(normalized("192.0.2.7:80")).toBe("192.0.2.7");
    expect(normalized("[2001:DB8::1]:443")).toBe("2001:db8::1");
    expect(rejection("example.com:99999")).toMatch(/port 99999 is out of range/);
  });

  test("IP literals are valid entries", () => {
    expect(normalizeDomain("192.0.2.7")).toEqual({ ok: true, domain: "192.0.2.7", kind: "ipv4" });
    expect(normalizeDomain("2001:db8:0:0::1")).toEqual({
      ok: true,
      domain: "2001:db8::1",
      kind: "ipv6",
    });
    expect(normalized("[::1]")).toBe("::1");
  });

  test("a leading wildcard means the domain itself (blocks cover subdomains anyway)", () => {
    expect(normalized("*.example.com")).toBe("example.com");
  });

  test("a trailing slash is forgiven, as Mastodon does", () => {
    expect(normalized("example.com/")).toBe("example.com");
  });

  test.each([
    ["", /empty/],
    ["   ", /empty/],
    ["https://example.com/", /looks like a URL/],
    ["exa mple.com", /character " "/],
    ["example.com/path", /character "\/"/],
    ["ex%41mple.com", /character "%"/],
    ["alice@example.com", /account address/],
    ["exa***.com", /obfuscated/],
    ["example..com", /empty label/],
    ["example.com..", /empty label/],
    [".", /nothing is left/],
    ["1.2.3", /not an IPv4 address/],
    ["0x7f.1", /not an IPv4 address/],
    ["256.1.1.1", /not an IPv4 address/],
    ["example.123", /not an IPv4 address/],
    ["a_b.example", /only contain letters, digits and hyphens/],
    ["-bad.example", /starts or ends with a hyphen/],
    [`${"a".repeat(64)}.example`, /longer than 63/],
    [`${"abcdefghi.".repeat(26)}example`, /longer than 253/],
    ["exa:mple:com", /may only separate a port/],
    ["[not-ip]", /not an IPv6 address/],
  ])("refuses %j with a clear message", (input, message) => {
    expect(rejection(input)).toMatch(message);
  });

  test("the message names the input", () => {
    expect(rejection("exa mple.com")).toMatch(/^"exa mple.com" is not a valid domain: /);
  });
});

describe("matching helpers", () => {
  test("coveringDomains lists the domain and its parents, most specific first", () => {
    expect(coveringDomains("a.b.example.com")).toEqual([
      "a.b.example.com",
      "b.example.com",
      "example.com",
      "com",
    ]);
    expect(coveringDomains("192.0.2.7")).toEqual(["192.0.2.7"]);
    expect(coveringDomains("2001:db8::1")).toEqual(["2001:db8::1"]);
  });

  test("isSameOrSubdomain respects label boundaries", () => {
    expect(isSameOrSubdomain("example.com", "example.com")).toBe(true);
    expect(isSameOrSubdomain("social.example.com", "example.com")).toBe(true);
    expect(isSameOrSubdomain("notexample.com", "example.com")).toBe(false);
    expect(isSameOrSubdomain("example.com", "social.example.com")).toBe(false);
    expect(isSameOrSubdomain("10.192.0.2.7", "192.0.2.7")).toBe(false);
  });

  test("domainOfUrl lower-cases, drops ports, brackets and a trailing dot", () => {
    expect(domainOfUrl("https://Social.EXAMPLE.com.:8443/users/a")).toBe("social.example.com");
    expect(domainOfUrl("https://[2001:db8::1]/actor")).toBe("2001:db8::1");
    expect(domainOfUrl("https://bücher.example/u")).toBe("xn--bcher-kva.example");
    expect(domainOfUrl("not a url")).toBeNull();
  });
});
