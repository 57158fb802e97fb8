import type { Context, KvStore } from "@fedify/fedify";
import { CryptographicKey } from "@fedify/vocab";
import type { HavenContext } from "../context.ts";

/**
 * Where Fedify keeps the public keys it verified signatures with: its
 * `kvPrefixes.publicKey` (default; Haven does not change it), one JSON-LD
 * `CryptographicKey` per key id — re-fetched and replaced when a cached key
 * no longer verifies.
 */
const FEDIFY_PUBLIC_KEY_PREFIX = ["_fedify", "publicKey"] as const;

/**
 * The key Fedify has just verified a request with, read from its key cache
 * (no request goes out), or null. Parsed with JSON-LD once per key, which is
 * the cost the inbox fast path then saves on every later request.
 */
export async function fedifyVerifiedKey(
  kv: KvStore,
  ctx: Context<HavenContext>,
  keyId: URL,
): Promise<CryptographicKey | null> {
  const stored = await kv.get([...FEDIFY_PUBLIC_KEY_PREFIX, keyId.href]);
  if (stored === undefined || stored === null) return null;
  try {
    return await CryptographicKey.fromJsonLd(stored, {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
    });
  } catch {
    return null; // a Multikey or something unreadable: not for the fast path
  }
}
