/**
 * What a signed inbox POST must cover before Fedify 2.3.6 verifies it.
 * Fedify requires `(request-target)`, `date` and `digest` among the signed
 * headers of a draft-cavage signature, but not `host`, ignores the
 * `algorithm` parameter and verifies against whatever Host the request
 * arrived with. So a signature made for another server's inbox at the same
 * path (Mastodon's `/inbox`, `/users/x/inbox` are ours too) would verify
 * here if replayed with its Host header (SECURITY.md #4, #8, #9;
 * Misskey CVE-2023-49079).
 */

/** rsa-sha256 (Mastodon, Misskey) and hs2019 ("from the key": PeerTube, GoToSocial). */
const DRAFT_ALGORITHMS = new Set(["rsa-sha256", "hs2019"]);
const DRAFT_REQUIRED = ["(request-target)", "host", "date", "digest"];
const PARAM = /^\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|(\d+))\s*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why the request's signature does not cover what it must, or null when it does. */
export function signatureCoverageProblem(headers: Headers, publicUrl: URL): string | null {
  if (hostOf(headers.get("host"), publicUrl.protocol) !== publicUrl.host) {
    return "request is not addressed to this server";
  }
  const cavage = headers.get("signature");
  if (cavage === null || headers.has("signature-input")) return null; // RFC 9421: Fedify checks
  const params = new Map<string, string>();
  for (const part of cavage.split(",")) {
    const m = PARAM.exec(part);
    if (m?.[1]) params.set(m[1].toLowerCase(), m[2] ?? m[3] ?? "");
  }
  const algorithm = params.get("algorithm")?.toLowerCase();
  if (algorithm !== undefined && !DRAFT_ALGORITHMS.has(algorithm)) {
    return `unsupported signature algorithm ${JSON.stringify(algorithm.slice(0, 40))}`;
  }
  // Fedify throws (→ 500) on a signature that is not base64.
  if (!BASE64.test(params.get("signature") ?? "")) return "signature is not base64";
  const signed = new Set((params.get("headers") ?? "").toLowerCase().split(/\s+/));
  const missing = DRAFT_REQUIRED.filter((name) => !signed.has(name));
  if (missing.length > 0) return `signature does not cover ${missing.join(", ")}`;
  const date = headers.get("date");
  if (date === null || Number.isNaN(Date.parse(date))) return "Date header missing or invalid";
  return null;
}

/** The Host header as URL.host would spell it (lower case, default port dropped), or null. */
function hostOf(header: string | null, protocol: string): string | null {
  if (header === null || /[/?#@\s]/.test(header)) return null;
  try {
    return new URL(`${protocol}//${header}`).host;
  } catch {
    return null;
  }
}
