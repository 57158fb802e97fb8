import type { KeyObject } from "node:crypto";

/** A public key already proven to belong to `owner`, ready for node:crypto. */
export interface VerifiedKey {
  readonly key: KeyObject;
  /** The actor whose document lists the key (the only actor it may sign for). */
  readonly owner: string;
  readonly fetchedAt: number;
}

/**
 * Public keys the inbox fast path may verify with, by key id. Only keys that
 * passed the full slow path (listed by their actor, who is the key's owner)
 * get in; a key that fails to verify a signature is dropped, so a rotated key
 * costs one slow request (which re-fetches it). One hour, like a Mastodon
 * instance's key refresh; bounded, least recently used dropped first.
 */
export class VerifiedKeyCache {
  readonly #entries = new Map<string, VerifiedKey>();

  constructor(
    private readonly ttlMs = 60 * 60_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get(keyId: string): VerifiedKey | undefined {
    const entry = this.#entries.get(keyId);
    if (entry === undefined) return undefined;
    if (entry.fetchedAt + this.ttlMs <= this.now()) {
      this.#entries.delete(keyId);
      return undefined;
    }
    // Map order is insertion order: re-inserting marks it most recently used.
    this.#entries.delete(keyId);
    this.#entries.set(keyId, entry);
    return entry;
  }

  set(keyId: string, key: KeyObject, owner: string): void {
    this.#entries.delete(keyId);
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(keyId, { key, owner, fetchedAt: this.now() });
  }

  delete(keyId: string): void {
    this.#entries.delete(keyId);
  }
}
