/**
 * draft-cavage HTTP signatures, written from scratch for the test rig.
 *
 * Deliberately independent of Fedify: it signs the way Mastodon's `app/lib/request.rb` does and
 * verifies the way Mastodon's `signature_verification.rb` and PeerTube's `peertube-crypto.ts`
 * do, so federation tests prove interop against a second implementation rather than against
 * the library under test. Only `node:crypto`.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from "node:crypto";

export const ACTIVITY_JSON = "application/activity+json";

export type SignatureAlgorithm = "rsa-sha256" | "hs2019";
export type DigestAlgorithm = "SHA-256" | "SHA-512";

export interface SignRequestOptions {
  method: string;
  url: string | URL;
  /** Extra headers (Content-Type, Accept…); they are returned alongside the signature headers. */
  headers?: Record<string, string>;
  body?: string | Uint8Array | null;
  keyId: string;
  privateKeyPem: string | KeyObject;
  /** Lower-case names; default: Mastodon's list (see `defaultHeadersToSign`). */
  headersToSign?: string[];
  algorithm?: SignatureAlgorithm;
  /** Signing time, for deliberately stale or future signatures. */
  date?: Date;
  digestAlgorithm?: DigestAlgorithm;
  /** Mastodon signs `(request-target)` with the path only (no query); the draft says path+query. */
  queryInRequestTarget?: boolean;
}

/**
 * Mastodon: POST signs `(request-target) host date digest content-type`, GET signs
 * `(request-target) host date accept` (every header it set except User-Agent/Accept-Encoding).
 */
export function defaultHeadersToSign(method: string, hasBody: boolean): string[] {
  return method.toUpperCase() === "GET" || !hasBody
    ? ["(request-target)", "host", "date", "accept"]
    : ["(request-target)", "host", "date", "digest", "content-type"];
}

export function computeDigest(
  body: string | Uint8Array,
  algorithm: DigestAlgorithm = "SHA-256",
): string {
  const hash = createHash(algorithm === "SHA-256" ? "sha256" : "sha512");
  return `${algorithm}=${hash.update(body).digest("base64")}`;
}

/** Returns the request's headers: the caller's plus Host, Date, Digest (for a body), Signature. */
export function signRequest(options: SignRequestOptions): Record<string, string> {
  const url = new URL(options.url);
  const method = options.method.toUpperCase();
  const date = options.date ?? new Date();
  const hasBody = options.body != null;
  const headers = mergeHeaders(
    {
      Host: url.host,
      Date: date.toUTCString(),
      ...(hasBody ? { Digest: computeDigest(options.body!, options.digestAlgorithm) } : {}),
      ...(hasBody ? { "Content-Type": ACTIVITY_JSON } : { Accept: ACTIVITY_JSON }),
    },
    options.headers ?? {},
  );
  const created = Math.floor(date.getTime() / 1000);
  const names = options.headersToSign ?? defaultHeadersToSign(method, hasBody);
  const target = `${method.toLowerCase()} ${url.pathname}${options.queryInRequestTarget === false ? "" : url.search}`;
  const lookup = lowerCaseHeaders(headers);
  const lines = names.map((name) => {
    if (name === "(request-target)") return `${name}: ${target}`;
    if (name === "(created)") return `${name}: ${created}`;
    const value = lookup[name];
    if (value === undefined) throw new Error(`signRequest: header "${name}" is not set`);
    return `${name}: ${value}`;
  });
  const key =
    typeof options.privateKeyPem === "string"
      ? createPrivateKey(options.privateKeyPem)
      : options.privateKeyPem;
  const digestName = key.asymmetricKeyType === "ed25519" ? null : "sha256";
  const signature = cryptoSign(digestName, Buffer.from(lines.join("\n")), key).toString("base64");
  const params = [
    `keyId="${options.keyId}"`,
    `algorithm="${options.algorithm ?? "rsa-sha256"}"`,
    ...(names.includes("(created)") ? [`created=${created}`] : []),
    `headers="${names.join(" ")}"`,
    `signature="${signature}"`,
  ];
  return { ...headers, Signature: params.join(",") };
}

/** `base` overridden by `extra`, names compared case-insensitively (the extra spelling wins). */
export function mergeHeaders(
  base: Record<string, string>,
  extra: Record<string, string>,
): Record<string, string> {
  const out = { ...base };
  for (const [name, value] of Object.entries(extra)) {
    for (const existing of Object.keys(out)) {
      if (existing.toLowerCase() === name.toLowerCase()) delete out[existing];
    }
    out[name] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Verification

export type HeaderInput =
  | Headers
  | Record<string, string | string[] | undefined>
  | Iterable<[string, string]>;

export interface ParsedSignature {
  keyId: string;
  algorithm: string | undefined;
  /** Lower-case, in signed order. Mastodon defaults a missing list to `date`. */
  headers: string[];
  signature: Buffer;
  created: number | undefined;
  expires: number | undefined;
}

export type VerifyFailureReason =
  | "missing-signature"
  | "malformed-signature"
  | "unsupported-algorithm"
  | "missing-required-header"
  | "missing-header"
  | "date-out-of-window"
  | "expired"
  | "unsupported-digest"
  | "digest-mismatch"
  | "key-not-found"
  | "key-unavailable"
  | "invalid-key"
  | "bad-signature";

export type VerifyResult =
  | { ok: true; keyId: string; owner: string }
  | { ok: false; reason: VerifyFailureReason; detail: string };

export interface FetchedKey {
  pem: string;
  owner: string;
}

export interface VerifyRequestOptions {
  method: string;
  /** The request target as received: path (plus query, unless the peer signs like Mastodon). */
  path: string;
  headers: HeaderInput;
  body?: string | Uint8Array | null;
  /** Resolve a keyId. Return null for "no such key"; throw for "could not fetch" (detail kept). */
  fetchKey(keyId: string): Promise<FetchedKey | null>;
  /** Allowed clock skew for `Date` / `(created)`. Default 3600 (PeerTube uses 1800, Mastodon 12 h). */
  maxSkewSeconds?: number;
  now?: Date;
}

const MAX_SIGNATURE_HEADER = 8192;
const PARAM = /\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|(\d+(?:\.\d+)?))\s*(,|$)/y;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parse a draft-cavage `Signature` header. Never throws; garbage gives `{error}`. */
export function parseSignatureHeader(raw: string): ParsedSignature | { error: string } {
  if (raw.length > MAX_SIGNATURE_HEADER) return { error: "Signature header too long" };
  const text = raw.replace(/^Signature\s+/i, "");
  const params = new Map<string, string>();
  PARAM.lastIndex = 0;
  while (PARAM.lastIndex < text.length) {
    const start = PARAM.lastIndex;
    const match = PARAM.exec(text);
    if (!match || match.index !== start) return { error: `unparsable at offset ${start}` };
    const name = match[1]!;
    if (params.has(name)) return { error: `duplicate parameter ${name}` };
    params.set(name, match[2] ?? match[3] ?? "");
    if (match[4] === "") break;
  }
  const keyId = params.get("keyId");
  const signature = params.get("signature");
  if (!keyId) return { error: "keyId missing" };
  if (!signature || !BASE64.test(signature)) return { error: "signature missing or not base64" };
  const headers = (params.get("headers") ?? "date").toLowerCase().split(" ").filter(Boolean);
  const number = (name: string) => {
    const value = params.get(name);
    return value === undefined ? undefined : Number(value);
  };
  return {
    keyId,
    algorithm: params.get("algorithm")?.toLowerCase(),
    headers,
    signature: Buffer.from(signature, "base64"),
    created: number("created"),
    expires: number("expires"),
  };
}

/** The string that was signed, or the name of the first listed header the request lacks. */
export function buildSigningString(input: {
  method: string;
  path: string;
  headers: HeaderInput;
  signature: Pick<ParsedSignature, "headers" | "created" | "expires">;
}): { text: string } | { missing: string } {
  const headers = lowerCaseHeaders(input.headers);
  const lines: string[] = [];
  for (const name of input.signature.headers) {
    let value: string | undefined;
    if (name === "(request-target)") value = `${input.method.toLowerCase()} ${input.path}`;
    else if (name === "(created)") value = input.signature.created?.toString();
    else if (name === "(expires)") value = input.signature.expires?.toString();
    else value = headers[name];
    if (value === undefined) return { missing: name };
    lines.push(`${name}: ${value}`);
  }
  return { text: lines.join("\n") };
}

export async function verifyRequest(options: VerifyRequestOptions): Promise<VerifyResult> {
  const fail = (reason: VerifyFailureReason, detail: string): VerifyResult => ({
    ok: false,
    reason,
    detail,
  });
  const headers = lowerCaseHeaders(options.headers);
  const raw = headers.signature;
  if (!raw) return fail("missing-signature", "no Signature header");
  const parsed = parseSignatureHeader(raw);
  if ("error" in parsed) return fail("malformed-signature", parsed.error);
  if (parsed.algorithm && !["rsa-sha256", "hs2019"].includes(parsed.algorithm)) {
    return fail("unsupported-algorithm", parsed.algorithm);
  }

  const isPost = options.method.toUpperCase() === "POST";
  const signed = new Set(parsed.headers);
  const required = ["(request-target)", "host", ...(isPost ? ["digest"] : [])];
  for (const name of required) {
    if (!signed.has(name)) return fail("missing-required-header", `${name} is not signed`);
  }
  if (!signed.has("date") && !signed.has("(created)")) {
    return fail("missing-required-header", "neither date nor (created) is signed");
  }
  const signingString = buildSigningString({ ...options, headers, signature: parsed });
  if ("missing" in signingString) {
    return fail("missing-header", `signed header ${signingString.missing} is absent`);
  }

  const now = (options.now ?? new Date()).getTime() / 1000;
  const skew = options.maxSkewSeconds ?? 3600;
  const times: [string, number | undefined][] = [
    ["Date", headers.date === undefined ? undefined : Date.parse(headers.date) / 1000],
    ["(created)", signed.has("(created)") ? parsed.created : undefined],
  ];
  for (const [label, time] of times) {
    if (time === undefined) continue;
    if (!Number.isFinite(time) || Math.abs(now - time) > skew) {
      return fail("date-out-of-window", `${label} is not within ${skew}s of now`);
    }
  }
  if (parsed.expires !== undefined && parsed.expires < now) {
    return fail("expired", "(expires) has passed");
  }

  if (isPost || headers.digest !== undefined) {
    const digest = checkDigest(headers.digest, options.body ?? "");
    if (digest) return fail(digest.reason, digest.detail);
  }

  let key: FetchedKey | null;
  try {
    key = await options.fetchKey(parsed.keyId);
  } catch (error) {
    return fail("key-unavailable", `${parsed.keyId}: ${(error as Error).message}`);
  }
  if (!key) return fail("key-not-found", parsed.keyId);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(key.pem);
  } catch (error) {
    return fail("invalid-key", `${parsed.keyId}: ${(error as Error).message}`);
  }
  const data = Buffer.from(signingString.text);
  const isEd25519 = publicKey.asymmetricKeyType === "ed25519";
  if (isEd25519 && parsed.algorithm === "rsa-sha256") {
    return fail("unsupported-algorithm", "rsa-sha256 with an Ed25519 key");
  }
  let valid = false;
  try {
    valid = cryptoVerify(isEd25519 ? null : "sha256", data, publicKey, parsed.signature);
  } catch {
    valid = false;
  }
  if (!valid) return fail("bad-signature", `signature does not verify with ${parsed.keyId}`);
  return { ok: true, keyId: parsed.keyId, owner: key.owner };
}

/** Every SHA-256/SHA-512 entry of the Digest header must match; other algorithms are ignored. */
function checkDigest(
  header: string | undefined,
  body: string | Uint8Array,
): { reason: VerifyFailureReason; detail: string } | null {
  if (!header) return { reason: "missing-header", detail: "no Digest header" };
  let checked = 0;
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const algorithm = part.slice(0, eq).trim().toUpperCase();
    if (algorithm !== "SHA-256" && algorithm !== "SHA-512") continue;
    checked++;
    const expected = computeDigest(body, algorithm).slice(algorithm.length + 1);
    if (part.slice(eq + 1).trim() !== expected) {
      return { reason: "digest-mismatch", detail: `${algorithm} does not match the body` };
    }
  }
  return checked ? null : { reason: "unsupported-digest", detail: header.slice(0, 100) };
}

/** Lower-case names; repeated headers joined with ", " as the draft says. */
export function lowerCaseHeaders(input: HeaderInput): Record<string, string> {
  const out: Record<string, string> = {};
  const entries: Iterable<[string, string | string[] | undefined]> =
    input instanceof Headers || Symbol.iterator in input
      ? (input as Iterable<[string, string]>)
      : Object.entries(input);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(", ") : value;
    out[key] = out[key] === undefined ? joined : `${out[key]}, ${joined}`;
  }
  return out;
}
