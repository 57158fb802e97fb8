/** Key pairs for HTTP signatures, made with WebCrypto and kept as JWK. */
export type KeyAlgorithm = "RSASSA-PKCS1-v1_5" | "Ed25519";

export interface GeneratedKey {
  algorithm: KeyAlgorithm;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}

export async function generateActorKeys(): Promise<GeneratedKey[]> {
  const rsa = (await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const ed = (await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  return Promise.all(
    [
      ["RSASSA-PKCS1-v1_5", rsa],
      ["Ed25519", ed],
    ].map(async ([algorithm, pair]) => ({
      algorithm: algorithm as KeyAlgorithm,
      privateJwk: await crypto.subtle.exportKey("jwk", (pair as CryptoKeyPair).privateKey),
      publicJwk: await crypto.subtle.exportKey("jwk", (pair as CryptoKeyPair).publicKey),
    })),
  );
}
