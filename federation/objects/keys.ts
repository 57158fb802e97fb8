import { createPublicKey } from "node:crypto";

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58btc(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = "";
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** SPKI PEM (`BEGIN PUBLIC KEY`): PeerTube rejects PKCS#1. */
export function rsaJwkToSpkiPem(jwk: JsonWebKey): string {
  return createPublicKey({ key: jwk as never, format: "jwk" })
    .export({ type: "spki", format: "pem" })
    .toString();
}

/** Multikey `publicKeyMultibase` for an Ed25519 public JWK (multicodec 0xed01). */
export function ed25519JwkToMultibase(jwk: JsonWebKey): string {
  const raw = Buffer.from(jwk.x ?? "", "base64url");
  return `z${base58btc(new Uint8Array([0xed, 0x01, ...raw]))}`;
}
