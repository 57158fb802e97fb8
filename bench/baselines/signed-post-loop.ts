import { createHash, webcrypto } from "node:crypto";
import { serveRpc } from "../support/rpc.ts";

/**
 * Baseline for S1–S3: the unavoidable work of a delivery with plain Node.
 * Sign a ~1.7 KB activity (draft-cavage, RSA-2048 key imported once and kept
 * in memory, WebCrypto like Fedify), `fetch` POST it over keep-alive to a
 * loopback sink, 32 in flight.
 */

const subtle = webcrypto.subtle;
let keys: CryptoKeyPair | null = null;
const KEY_ID = "http://127.0.0.2/users/baseline#main-key";
const ACTOR = "http://127.0.0.2/users/baseline";

async function ensureKeys(): Promise<CryptoKeyPair> {
  keys ??= (await subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  return keys;
}

/** An Update of a channel actor, about the size of Haven's (≈ 1.7 KB). */
function activity(runTag: string): string {
  const summary = "A support community channel. ".repeat(28);
  return JSON.stringify({
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: `${ACTOR}#updates/${runTag}`,
    type: "Update",
    actor: ACTOR,
    to: "https://www.w3.org/ns/activitystreams#Public",
    object: {
      id: ACTOR,
      type: "Group",
      preferredUsername: "baseline",
      name: "Baseline channel",
      summary,
      inbox: `${ACTOR}/inbox`,
      outbox: `${ACTOR}/outbox`,
      followers: `${ACTOR}/followers`,
      endpoints: { sharedInbox: "http://127.0.0.2/inbox" },
    },
  });
}

async function deliver(key: CryptoKey, target: string, body: string): Promise<number> {
  const url = new URL(target);
  const date = new Date().toUTCString();
  const digest = `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
  const signed = [
    `(request-target): post ${url.pathname}`,
    `host: ${url.host}`,
    `date: ${date}`,
    `digest: ${digest}`,
    "content-type: application/activity+json",
  ].join("\n");
  const signature = Buffer.from(
    await subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(signed)),
  ).toString("base64");
  const res = await fetch(url, {
    method: "POST",
    headers: {
      Date: date,
      Digest: digest,
      "Content-Type": "application/activity+json",
      Signature: `keyId="${KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="${signature}"`,
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

serveRpc({
  async publicKey() {
    const pair = await ensureKeys();
    const spki = Buffer.from(await subtle.exportKey("spki", pair.publicKey)).toString("base64");
    const pem = `-----BEGIN PUBLIC KEY-----\n${spki.match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`;
    return { keyId: KEY_ID, pem };
  },
  async run(args: { targets: string[]; concurrency: number; runTag: string }) {
    const { privateKey } = await ensureKeys();
    const body = activity(args.runTag);
    let next = 0;
    let failures = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (next < args.targets.length) {
          const target = args.targets[next++]!;
          const status = await deliver(privateKey, target, body).catch(() => 0);
          if (status < 200 || status >= 300) failures++;
        }
      }),
    );
    return {
      elapsedMs: performance.now() - start,
      count: args.targets.length,
      failures,
      bodyBytes: Buffer.byteLength(body),
    };
  },
});
