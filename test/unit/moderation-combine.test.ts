import { describe, expect, test } from "vitest";
import {
  type CombineContext,
  effectiveRule,
  mergeComments,
  type SubscriptionInfo,
} from "../../src/moderation/combine.ts";
import { type Claim, stricterThan } from "../../src/moderation/types.ts";

function claim(subscriptionId: number | null, overrides: Partial<Claim> = {}): Claim {
  return {
    domain: "bad.example",
    subscriptionId,
    severity: "suspend",
    rejectMedia: false,
    rejectReports: false,
    privateComment: null,
    publicComment: null,
    obfuscate: false,
    ...overrides,
  };
}

function sub(id: number, priority: number, enabled = true): [number, SubscriptionInfo] {
  return [id, { id, priority, enabled, title: `List ${id}`, url: `https://lists.example/${id}` }];
}

const subscriptions = new Map([sub(1, 100), sub(2, 200), sub(3, 50), sub(4, 255, false)]);
const ctx = (policy: CombineContext["policy"], exclusions: string[] = []): CombineContext => ({
  policy,
  exclusions,
  subscriptions,
});

describe("effectiveRule", () => {
  const lists = [
    claim(1, { severity: "silence", rejectMedia: true, publicComment: "spam" }),
    claim(2, { severity: "noop", rejectReports: true, publicComment: "spam, bots" }),
    claim(3, { severity: "suspend", publicComment: "bots" }),
  ];

  test("harshest: highest severity, OR of flags, comments merged", () => {
    expect(effectiveRule("bad.example", lists, ctx({ kind: "harshest" }))).toEqual({
      severity: "suspend",
      rejectMedia: true,
      rejectReports: true,
      obfuscate: false,
      publicComment: "spam, bots",
      privateComment: "Blocklist subscriptions: List 2; List 1; List 3",
    });
  });

  test("threshold: blocked only when N lists name the domain", () => {
    expect(
      effectiveRule("bad.example", lists, ctx({ kind: "threshold", threshold: 3 })),
    ).toMatchObject({ severity: "suspend" });
    expect(
      effectiveRule("bad.example", lists, ctx({ kind: "threshold", threshold: 4 })),
    ).toBeNull();
    expect(
      effectiveRule("bad.example", lists.slice(0, 1), ctx({ kind: "threshold", threshold: 2 })),
    ).toBeNull();
  });

  test("priority: the highest-priority list decides alone", () => {
    expect(effectiveRule("bad.example", lists, ctx({ kind: "priority" }))).toMatchObject({
      severity: "noop",
      rejectMedia: false,
      rejectReports: true,
      privateComment: "Blocklist subscription: List 2",
    });
  });

  test("disabled subscriptions do not count", () => {
    const onlyDisabled = [claim(4)];
    expect(effectiveRule("bad.example", onlyDisabled, ctx({ kind: "harshest" }))).toBeNull();
    expect(
      effectiveRule("bad.example", [claim(4), claim(1)], ctx({ kind: "threshold", threshold: 2 })),
    ).toBeNull();
  });

  test("the admin's own claim always wins, even when milder", () => {
    const manual = claim(null, { severity: "noop", privateComment: "we talked to their admin" });
    expect(effectiveRule("bad.example", [...lists, manual], ctx({ kind: "harshest" }))).toEqual({
      severity: "noop",
      rejectMedia: false,
      rejectReports: false,
      obfuscate: false,
      publicComment: null,
      privateComment: "we talked to their admin",
    });
  });

  test("exclusions silence lists for the domain and its subdomains, not the admin", () => {
    const excluded = ctx({ kind: "harshest" }, ["example"]);
    expect(effectiveRule("bad.example", lists, excluded)).toBeNull();
    expect(effectiveRule("bad.example", [claim(null)], excluded)).toMatchObject({
      severity: "suspend",
    });
  });
});

describe("helpers", () => {
  test("mergeComments does not repeat fragments", () => {
    expect(mergeComments("boring, nazis", "nazis, scrapers")).toBe("boring, nazis, scrapers");
    expect(mergeComments(null, "x")).toBe("x");
    expect(mergeComments("x", "")).toBe("x");
    expect(mergeComments(null, null)).toBeNull();
  });

  test("stricterThan mirrors Mastodon's DomainBlock#stricter_than?", () => {
    const r = (severity: Claim["severity"], rejectMedia = false, rejectReports = false) => ({
      severity,
      rejectMedia,
      rejectReports,
    });
    expect(stricterThan(r("suspend"), r("suspend", true, true))).toBe(true);
    expect(stricterThan(r("silence", true, true), r("suspend"))).toBe(false);
    expect(stricterThan(r("noop", true, true), r("silence"))).toBe(false);
    expect(stricterThan(r("silence"), r("silence", true))).toBe(false);
    expect(stricterThan(r("silence", true), r("silence", true))).toBe(true);
    expect(stricterThan(r("silence"), r("noop"))).toBe(true);
  });
});
