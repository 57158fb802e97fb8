/**
 * The key id a request claims to be signed with: draft-cavage `Signature:
 * keyId="…"` or RFC 9421 `Signature-Input: sig=(…);keyid="…"`. Null when
 * absent or unparseable (Fedify then answers 401).
 */
export function signatureKeyId(headers: Headers): URL | null {
  const cavage = headers.get("signature");
  const input = headers.get("signature-input");
  const match =
    (cavage && /(?:^|,)\s*keyId\s*=\s*"([^"]{1,2048})"/i.exec(cavage)) ||
    (input && /;\s*keyid\s*=\s*"([^"]{1,2048})"/i.exec(input));
  if (!match?.[1]) return null;
  try {
    return new URL(match[1]);
  } catch {
    return null;
  }
}
