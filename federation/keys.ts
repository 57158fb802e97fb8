import { importJwk } from "@fedify/fedify";
import { findActorByHandle, listActorKeys } from "../src/actors/actor.service.ts";
import type { Db } from "../src/db/client.ts";

/**
 * Imported CryptoKeyPairs per actor handle. Fedify asks for them on every
 * signature; re-importing JWKs each time doubles the signing cost
 * (BENCHMARKS.md), and keys never change after creation.
 */
export class ActorKeyCache {
  readonly #pairs = new Map<string, Promise<CryptoKeyPair[]>>();

  constructor(private readonly maxEntries = 10_000) {}

  get(db: Db, handle: string): Promise<CryptoKeyPair[]> {
    let entry = this.#pairs.get(handle);
    if (!entry) {
      entry = load(db, handle);
      entry.catch(() => this.#pairs.delete(handle));
      if (this.#pairs.size >= this.maxEntries) {
        const oldest = this.#pairs.keys().next().value;
        if (oldest !== undefined) this.#pairs.delete(oldest);
      }
      this.#pairs.set(handle, entry);
    }
    return entry;
  }

  forget(handle: string): void {
    this.#pairs.delete(handle);
  }
}

async function load(db: Db, handle: string): Promise<CryptoKeyPair[]> {
  const actor = await findActorByHandle(db, handle);
  if (!actor) return [];
  const rows = await listActorKeys(db, actor.id);
  // RSA first: Fedify names the first key `#main-key` and signs HTTP requests with it.
  rows.sort((a, b) =>
    a.algorithm === "RSASSA-PKCS1-v1_5" ? -1 : b.algorithm === "RSASSA-PKCS1-v1_5" ? 1 : 0,
  );
  return Promise.all(
    rows.map(async (row) => ({
      privateKey: await importJwk(row.privateJwk, "private"),
      publicKey: await importJwk(row.publicJwk, "public"),
    })),
  );
}
