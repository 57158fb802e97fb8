import { createHash, type KeyObject, timingSafeEqual, verify } from "node:crypto";

/**
 * draft-cavage HTTP signature verification for the inbox fast path
 * (inbox-fast-path.ts), with node:crypto and an already verified key. It
 * checks what Fedify 2.3.6's `verifyRequestDraft` checks, the way it checks
 * it, but only for the plain case Mastodon, PeerTube and GoToSocial send;
 * anything else is `unusual`, and the caller leaves the request to Fedify.
 */

/** Fedify's default `signatureTimeWindow` (Haven does not change it): Date within ±1 h. */
export const SIGNATURE_TIME_WINDOW_MS = 60 * 60_000;

const PARAM = /^\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*$/;
const PLAIN_PARAMS = new Set(["keyId", "algorithm", "headers", "signature"]);
/** rsa-sha256 (Mastodon, Misskey) and hs2019 with an RSA key (PeerTube, GoToSocial). */
const ALGORITHMS = new Set(["rsa-sha256", "hs2019"]);
const REQUIRED = ["(request-target)", "host", "date", "digest"];
const SIGNED_NAME = /^(?:\(request-target\)|[a-z0-9-]+)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DIGEST = /^\s*sha-256=([A-Za-z0-9+/]+={0,2})\s*$/i;

export interface CavageSignature {
  keyId: string;
  headers: string[];
  signature: Buffer;
}

/** The Signature header's parts, or null when it is anything but the plain form. */
export function parsePlainSignature(header: string | null): CavageSignature | null {
  if (header === null) return null;
  const params = new Map<string, string>();
  for (const part of header.split(",")) {
    const m = PARAM.exec(part);
    // Quoted values only: `created`/`expires` (numbers) are for Fedify to judge.
    if (!m?.[1] || m[2] === undefined || !PLAIN_PARAMS.has(m[1]) || params.has(m[1])) return null;
    params.set(m[1], m[2]);
  }
  const keyId = params.get("keyId");
  const headers = params.get("headers");
  const signature = params.get("signature");
  const algorithm = params.get("algorithm");
  if (keyId === undefined || headers === undefined || signature === undefined) return null;
  if (algorithm !== undefined && !ALGORITHMS.has(algorithm.toLowerCase())) return null;
  if (!BASE64.test(signature)) return null;
  const names = headers.split(" ");
  if (!names.every((n) => SIGNED_NAME.test(n)) || new Set(names).size !== names.length) {
    return null;
  }
  if (!REQUIRED.every((n) => names.includes(n))) return null;
  return { keyId, headers: names, signature: Buffer.from(signature, "base64") };
}

export interface SignedRequest {
  /** Path of the request (no query: the plain case). */
  path: string;
  headers: Headers;
  body: Uint8Array;
}

/**
 * `unusual`: not the plain case, let Fedify decide. `rejected`: Fedify would
 * refuse it too (digest, date). `bad-signature`: the key did not verify it —
 * a forgery, or the actor rotated its key.
 */
export type SignatureVerdict = "verified" | "unusual" | "rejected" | "bad-signature";

export function verifyPlainSignature(
  request: SignedRequest,
  signature: CavageSignature,
  key: KeyObject,
  now: number,
): SignatureVerdict {
  if (key.asymmetricKeyType !== "rsa") return "unusual";
  const { headers } = request;
  // Fedify compares every supported digest it is given; we take the one-digest case.
  const digest = DIGEST.exec(headers.get("digest") ?? "");
  if (!digest?.[1]) return "unusual";
  const expected = createHash("sha256").update(request.body).digest();
  const given = Buffer.from(digest[1], "base64");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "rejected";

  const date = Date.parse(headers.get("date") ?? "");
  if (Number.isNaN(date)) return "unusual";
  if (Math.abs(date - now) > SIGNATURE_TIME_WINDOW_MS) return "rejected";

  const lines: string[] = [];
  for (const name of signature.headers) {
    if (name === "(request-target)") {
      lines.push(`(request-target): post ${request.path}`);
      continue;
    }
    const value = headers.get(name);
    if (value === null) return "unusual";
    lines.push(`${name}: ${value}`);
  }
  // RSASSA-PKCS1-v1_5 with SHA-256, as Fedify verifies draft-cavage (hs2019 included).
  const ok = verify("sha256", Buffer.from(lines.join("\n")), key, signature.signature);
  return ok ? "verified" : "bad-signature";
}
