/**
 * When the sender signed an inbox POST, in epoch milliseconds, or null.
 *
 * draft-cavage: the `Date` header, which signature-coverage.ts requires to
 * be signed (every server we federate with signs it; `created` is optional
 * there). RFC 9421: the `created` parameter of `Signature-Input`, which
 * Fedify requires. Both have one-second resolution. Only meaningful once
 * the signature verified (fast path or Fedify).
 */
export function signatureTime(headers: Headers): number | null {
  const input = headers.get("signature-input");
  if (input !== null) {
    const created = /;\s*created\s*=\s*(\d{1,12})(?:;|,|\s|$)/i.exec(input);
    return created?.[1] ? Number(created[1]) * 1000 : null;
  }
  const date = Date.parse(headers.get("date") ?? "");
  return Number.isNaN(date) ? null : date;
}
