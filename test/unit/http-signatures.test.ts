import { generateKeyPairSync, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, test } from "vitest";
import {
  buildSigningString,
  computeDigest,
  type FetchedKey,
  parseSignatureHeader,
  signRequest,
  type VerifyRequestOptions,
  verifyRequest,
} from "../support/http-signatures.ts";

const fixture = <T>(name: string): T =>
  JSON.parse(
    readFileSync(new URL(`../support/fake-remote/fixtures/${name}`, import.meta.url), "utf8"),
  ) as T;
type KeysFile = { publicKey: string; privateKey: string };
type Capture = { headers: Record<string, string>; body: unknown };

const keys = fixture<KeysFile>("keys.json");
const invalidKeys = fixture<KeysFile>("invalid-keys.json");
const badPublicKey = fixture<{ publicKey: string }>("bad-public-key.json").publicKey;

const ACTOR = "http://127.0.0.2:3000/users/alice";
const KEY_ID = `${ACTOR}#main-key`;
const INBOX = "http://127.0.0.1:8080/users/bob/inbox";
const BODY = JSON.stringify({ id: `${ACTOR}/1`, type: "Follow", actor: ACTOR, object: "x" });

const keyFor =
  (pem: string, owner = ACTOR) =>
  async (keyId: string): Promise<FetchedKey | null> =>
    keyId === KEY_ID || keyId === ACTOR ? { pem, owner } : null;

/** Sign a POST of BODY to INBOX with the known PeerTube key, then verify it as received. */
async function roundTrip(
  sign: Partial<Parameters<typeof signRequest>[0]> = {},
  receive: Partial<VerifyRequestOptions> = {},
) {
  const headers = signRequest({
    method: "POST",
    url: INBOX,
    body: BODY,
    keyId: KEY_ID,
    privateKeyPem: keys.privateKey,
    ...sign,
  });
  return verifyRequest({
    method: "POST",
    path: "/users/bob/inbox",
    headers,
    body: BODY,
    fetchKey: keyFor(keys.publicKey),
    ...receive,
  });
}

beforeEach(() => {
  expect.hasAssertions();
});

describe("signRequest", () => {
  test("signs a POST exactly in Mastodon's format", () => {
    const headers = signRequest({
      method: "POST",
      url: INBOX,
      body: BODY,
      keyId: KEY_ID,
      privateKeyPem: keys.privateKey,
    });
    expect(headers.Host).toBe("127.0.0.1:8080");
    expect(headers.Digest).toBe(computeDigest(BODY));
    expect(headers["Content-Type"]).toBe("application/activity+json");
    expect(new Date(headers.Date!).toUTCString()).toBe(headers.Date);
    expect(headers.Signature).toMatch(
      /^keyId="http:\/\/127\.0\.0\.2:3000\/users\/alice#main-key",algorithm="rsa-sha256",headers="\(request-target\) host date digest content-type",signature="[A-Za-z0-9+/]+={0,2}"$/,
    );
  });

  test("signs a GET with (request-target) host date accept", () => {
    const headers = signRequest({
      method: "GET",
      url: ACTOR,
      keyId: KEY_ID,
      privateKeyPem: keys.privateKey,
    });
    expect(headers.Accept).toBe("application/activity+json");
    expect(headers.Digest).toBeUndefined();
    expect(headers.Signature).toContain('headers="(request-target) host date accept"');
  });

  test("refuses to sign a header that is not set", () => {
    expect(() =>
      signRequest({
        method: "GET",
        url: ACTOR,
        keyId: KEY_ID,
        privateKeyPem: keys.privateKey,
        headersToSign: ["(request-target)", "host", "date", "x-missing"],
      }),
    ).toThrow(/x-missing/);
  });
});

describe("verifyRequest accepts", () => {
  test("a Mastodon-style POST signed with PeerTube's known key (keys.json)", async () => {
    expect(await roundTrip()).toEqual({ ok: true, keyId: KEY_ID, owner: ACTOR });
  });

  test("a PeerTube-style hs2019 POST with keyId = actor URL", async () => {
    const result = await roundTrip({
      keyId: ACTOR,
      algorithm: "hs2019",
      headersToSign: ["(request-target)", "host", "date", "digest"],
    });
    expect(result).toEqual({ ok: true, keyId: ACTOR, owner: ACTOR });
  });

  test("(created) instead of date", async () => {
    const result = await roundTrip({
      algorithm: "hs2019",
      headersToSign: ["(request-target)", "host", "(created)", "digest"],
    });
    expect(result.ok).toBe(true);
  });

  test("a SHA-512 digest", async () => {
    expect((await roundTrip({ digestAlgorithm: "SHA-512" })).ok).toBe(true);
  });

  test("a signature thirty minutes old", async () => {
    const date = new Date(Date.now() - 30 * 60_000);
    expect((await roundTrip({ date })).ok).toBe(true);
  });

  test("a GET (no digest required)", async () => {
    const headers = signRequest({
      method: "GET",
      url: `${ACTOR}/outbox?page=2`,
      keyId: KEY_ID,
      privateKeyPem: keys.privateKey,
    });
    const result = await verifyRequest({
      method: "GET",
      path: "/users/alice/outbox?page=2",
      headers: new Headers(headers),
      fetchKey: keyFor(keys.publicKey),
    });
    expect(result.ok).toBe(true);
  });

  test("an Ed25519 key with hs2019", async () => {
    const pair = generateKeyPairSync("ed25519");
    const pem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
    const result = await roundTrip(
      { privateKeyPem: pair.privateKey, algorithm: "hs2019" },
      { fetchKey: keyFor(pem) },
    );
    expect(result.ok).toBe(true);
  });
});

describe("verifyRequest rejects", () => {
  test("a body changed after signing (digest mismatch)", async () => {
    const result = await roundTrip({}, { body: BODY.replace("Follow", "Block") });
    expect(result).toMatchObject({ ok: false, reason: "digest-mismatch" });
  });

  test("a POST whose digest is not among the signed headers", async () => {
    const result = await roundTrip({ headersToSign: ["(request-target)", "host", "date"] });
    expect(result).toMatchObject({ ok: false, reason: "missing-required-header" });
  });

  test.each([
    ["host", ["(request-target)", "date", "digest"]],
    ["(request-target)", ["host", "date", "digest"]],
    ["date", ["(request-target)", "host", "digest"]],
  ])("a signature that does not cover %s", async (_name, headersToSign) => {
    const result = await roundTrip({ headersToSign });
    expect(result).toMatchObject({ ok: false, reason: "missing-required-header" });
  });

  test.each([
    ["two hours old", -2],
    ["two hours ahead", 2],
  ])("a date %s", async (_label, hours) => {
    const result = await roundTrip({ date: new Date(Date.now() + hours * 3_600_000) });
    expect(result).toMatchObject({ ok: false, reason: "date-out-of-window" });
  });

  test("a signature made for another path", async () => {
    const result = await roundTrip({ url: "http://127.0.0.1:8080/users/carol/inbox" });
    expect(result).toMatchObject({ ok: false, reason: "bad-signature" });
  });

  test("a signature made for another host", async () => {
    const headers = signRequest({
      method: "POST",
      url: "http://127.0.0.9:8080/users/bob/inbox",
      body: BODY,
      keyId: KEY_ID,
      privateKeyPem: keys.privateKey,
    });
    const result = await verifyRequest({
      method: "POST",
      path: "/users/bob/inbox",
      headers: { ...headers, Host: "127.0.0.1:8080" },
      body: BODY,
      fetchKey: keyFor(keys.publicKey),
    });
    expect(result).toMatchObject({ ok: false, reason: "bad-signature" });
  });

  test("a signed header that the request does not carry", async () => {
    const headers = signRequest({
      method: "POST",
      url: INBOX,
      body: BODY,
      keyId: KEY_ID,
      privateKeyPem: keys.privateKey,
    });
    delete headers["Content-Type"];
    const result = await verifyRequest({
      method: "POST",
      path: "/users/bob/inbox",
      headers,
      body: BODY,
      fetchKey: keyFor(keys.publicKey),
    });
    expect(result).toMatchObject({ ok: false, reason: "missing-header" });
  });

  test("a Digest with no SHA-256/SHA-512 entry", async () => {
    const result = await roundTrip({ headers: { Digest: "MD5=abc" } });
    expect(result).toMatchObject({ ok: false, reason: "unsupported-digest" });
  });

  test("the mismatched public key of invalid-keys.json", async () => {
    const result = await roundTrip(
      { privateKeyPem: invalidKeys.privateKey },
      { fetchKey: keyFor(invalidKeys.publicKey) },
    );
    expect(result).toMatchObject({ ok: false, reason: "bad-signature" });
  });

  test("a key that is not the signer's (bad-public-key.json)", async () => {
    const result = await roundTrip({}, { fetchKey: keyFor(badPublicKey) });
    expect(result).toMatchObject({ ok: false, reason: "bad-signature" });
  });

  test("an unknown key, an unreachable key and a key that is not PEM", async () => {
    const unknown = await roundTrip({}, { fetchKey: async () => null });
    const unreachable = await roundTrip(
      {},
      {
        fetchKey: async () => {
          throw new Error("connection refused");
        },
      },
    );
    const notPem = await roundTrip({}, { fetchKey: keyFor("not a key") });
    expect(unknown).toMatchObject({ ok: false, reason: "key-not-found" });
    expect(unreachable).toMatchObject({ ok: false, reason: "key-unavailable" });
    expect(unreachable.ok === false && unreachable.detail).toContain("connection refused");
    expect(notPem).toMatchObject({ ok: false, reason: "invalid-key" });
  });

  test("an unsupported algorithm", async () => {
    const headers = signRequest({
      method: "POST",
      url: INBOX,
      body: BODY,
      keyId: KEY_ID,
      privateKeyPem: keys.privateKey,
    });
    headers.Signature = headers.Signature!.replace("rsa-sha256", "hmac-sha256");
    const result = await verifyRequest({
      method: "POST",
      path: "/users/bob/inbox",
      headers,
      body: BODY,
      fetchKey: keyFor(keys.publicKey),
    });
    expect(result).toMatchObject({ ok: false, reason: "unsupported-algorithm" });
  });

  test("an unsigned request", async () => {
    const result = await verifyRequest({
      method: "POST",
      path: "/inbox",
      headers: { host: "x", date: new Date().toUTCString() },
      body: BODY,
      fetchKey: keyFor(keys.publicKey),
    });
    expect(result).toMatchObject({ ok: false, reason: "missing-signature" });
  });

  test.each([
    "garbage",
    " ",
    'keyId="a"',
    'keyId="a",signature="not base64!"',
    'keyId="a",keyId="b",signature="AAAA"',
    'keyId="a",,signature="AAAA"',
    'keyId="a" signature="AAAA"',
    'keyId="\u202e",signature="AAAA",headers="\u0000"x',
    `keyId="${"a".repeat(10_000)}",signature="AAAA"`,
  ])("garbage Signature header %#, without throwing", async (signature) => {
    const result = await verifyRequest({
      method: "POST",
      path: "/inbox",
      headers: { host: "x", date: new Date().toUTCString(), signature },
      body: BODY,
      fetchKey: keyFor(keys.publicKey),
    });
    expect(result).toMatchObject({ ok: false, reason: "malformed-signature" });
  });
});

describe("PeerTube's Mastodon capture fixtures", () => {
  const badBody = fixture<Capture>("bad-body-http-signature.json");
  const badSignature = fixture<Capture>("bad-http-signature.json");
  // Just after the capture's Date (Mon, 22 Oct 2018 13:34:22 GMT).
  const then = new Date("2018-10-22T13:34:30Z");

  test("their Signature header parses into Mastodon's fields", () => {
    const parsed = parseSignatureHeader(badBody.headers.signature!);
    expect(parsed).toMatchObject({
      keyId: "http://localhost:3000/users/ronan2#main-key",
      algorithm: "rsa-sha256",
      headers: ["(request-target)", "host", "date", "digest", "content-type"],
    });
  });

  test("bad-body: rejected for the digest at the capture's time, for the date today", async () => {
    const request = {
      method: "POST",
      path: "/accounts/ronan/inbox",
      headers: badBody.headers,
      body: JSON.stringify(badBody.body),
      fetchKey: keyFor(badPublicKey, "http://localhost:3000/users/ronan2"),
    };
    expect(await verifyRequest({ ...request, now: then })).toMatchObject({
      ok: false,
      reason: "digest-mismatch",
    });
    expect(await verifyRequest(request)).toMatchObject({
      ok: false,
      reason: "date-out-of-window",
    });
  });

  test("bad-http-signature: its signature does not verify (as in PeerTube's test)", () => {
    // PeerTube checks the signature apart from the digest; the capture's body is not the
    // signed one, so the signing string is built from the headers as sent.
    const parsed = parseSignatureHeader(badSignature.headers.signature!);
    if ("error" in parsed) throw new Error(parsed.error);
    const signing = buildSigningString({
      method: "POST",
      path: "/accounts/ronan/inbox",
      headers: badSignature.headers,
      signature: parsed,
    });
    if ("missing" in signing) throw new Error(signing.missing);
    expect(signing.text.split("\n")).toEqual([
      "(request-target): post /accounts/ronan/inbox",
      "host: localhost",
      "date: Mon, 22 Oct 2018 13:34:22 GMT",
      "digest: SHA-256=FEr5j2WSSfdEMcG3NTOXuGU0lUchfTJx4+BtUlWOwDk=",
      "content-type: application/activity+json",
    ]);
    for (const pem of [badPublicKey, keys.publicKey]) {
      expect(verify("sha256", Buffer.from(signing.text), pem, parsed.signature)).toBe(false);
    }
  });
});
