import { createHash } from "node:crypto";

const encoder = new TextEncoder();

/** The body's bytes and its `Digest` header, computed once per payload. */
export interface PreparedBody {
  readonly bytes: Uint8Array;
  readonly digest: string;
}

export function prepareBody(body: string): PreparedBody {
  const bytes = encoder.encode(body);
  return { bytes, digest: `SHA-256=${createHash("sha256").update(bytes).digest("base64")}` };
}

/**
 * Signs a POST of `body` to `url` (draft-cavage-http-signatures-12, rsa-sha256),
 * covering `(request-target) host date digest content-type` — what Mastodon
 * itself signs, and what PeerTube requires (`(request-target)`, `host`,
 * `date`, `digest`; INTEROP.md §1.8). Same signature as Fedify's
 * `signRequest`, without its per-request `Request` copies and body digest:
 * the digest comes with the payload, the key is the cached imported one.
 * `(request-target)` is the path without the query, as Mastodon and Fedify
 * sign it.
 */
export async function signedPostHeaders(
  url: URL,
  body: PreparedBody,
  contentType: string,
  key: { readonly keyId: string; readonly privateKey: CryptoKey },
  date: Date = new Date(),
): Promise<Record<string, string>> {
  const httpDate = date.toUTCString();
  const signingString =
    `(request-target): post ${url.pathname}\n` +
    `host: ${url.host}\n` +
    `date: ${httpDate}\n` +
    `digest: ${body.digest}\n` +
    `content-type: ${contentType}`;
  const signature = await crypto.subtle.sign(
    "RSASSA-PKCS1-v1_5",
    key.privateKey,
    encoder.encode(signingString),
  );
  return {
    host: url.host,
    date: httpDate,
    digest: body.digest,
    "content-type": contentType,
    signature:
      `keyId="${key.keyId}",algorithm="rsa-sha256",` +
      `headers="(request-target) host date digest content-type",` +
      `signature="${Buffer.from(signature).toString("base64")}"`,
  };
}
