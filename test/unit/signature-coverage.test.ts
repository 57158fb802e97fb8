import { describe, expect, test } from "vitest";
import { signatureCoverageProblem } from "../../federation/http/signature-coverage.ts";

const PUBLIC_URL = new URL("https://haven.example");
const SIGNED = "(request-target) host date digest";

function headers(overrides: Record<string, string> = {}, params: Record<string, string> = {}) {
  const p = {
    keyId: "https://remote.example/users/a#main-key",
    algorithm: "rsa-sha256",
    headers: SIGNED,
    signature: "AAAA+/==",
    ...params,
  };
  const signature = Object.entries(p)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  return new Headers({
    host: "haven.example",
    date: new Date().toUTCString(),
    signature,
    ...overrides,
  });
}

describe("signatureCoverageProblem", () => {
  test("a Mastodon- or PeerTube-style signature passes", () => {
    expect(signatureCoverageProblem(headers(), PUBLIC_URL)).toBeNull();
    const hs2019 = headers({}, { algorithm: "hs2019", headers: `${SIGNED} content-type` });
    expect(signatureCoverageProblem(hs2019, PUBLIC_URL)).toBeNull();
  });

  test("the Host must be ours (case and default port do not matter)", () => {
    for (const host of ["HAVEN.example", "haven.example:443"]) {
      expect(signatureCoverageProblem(headers({ host }), PUBLIC_URL)).toBeNull();
    }
    for (const host of ["other.example", "haven.example:8443", "haven.example@other", ""]) {
      expect(signatureCoverageProblem(headers({ host }), PUBLIC_URL)).toMatch(/not addressed/);
    }
  });

  test("host, (request-target), date and digest must all be signed", () => {
    for (const name of ["(request-target)", "host", "date", "digest"]) {
      const without = SIGNED.split(" ")
        .filter((n) => n !== name)
        .join(" ");
      const problem = signatureCoverageProblem(headers({}, { headers: without }), PUBLIC_URL);
      expect(problem).toBe(`signature does not cover ${name}`);
    }
  });

  test("unknown algorithms, non-base64 signatures and bad dates are refused", () => {
    expect(signatureCoverageProblem(headers({}, { algorithm: "hmac-sha256" }), PUBLIC_URL)).toMatch(
      /unsupported signature algorithm/,
    );
    expect(signatureCoverageProblem(headers({}, { signature: "!!*" }), PUBLIC_URL)).toMatch(
      /not base64/,
    );
    expect(signatureCoverageProblem(headers({ date: "yesterday" }), PUBLIC_URL)).toMatch(/Date/);
  });

  test("RFC 9421 requests are left to Fedify once the Host is ours", () => {
    const rfc = new Headers({
      host: "haven.example",
      signature: "sig1=:AAAA:",
      "signature-input": 'sig1=("@method");keyid="https://remote.example/k"',
    });
    expect(signatureCoverageProblem(rfc, PUBLIC_URL)).toBeNull();
  });
});
