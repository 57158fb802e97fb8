import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { durationToMs, toJsonText } from "./json.ts";

/**
 * Fedify's keys that tolerate a few seconds of staleness between processes
 * (web and workers share the KV), read on every delivery:
 * - circuit-breaker state per remote host: read twice per delivery, almost
 *   always absent; a stale "closed" only sends a few more attempts, and a
 *   stale value never wins a `cas` (a failed `cas` drops the cached entry);
 * - the signature spec that works per origin: read and rewritten, unchanged,
 *   on every delivery.
 * Deliberately NOT here: `activityIdempotence` (checked, then set, for inbox
 * dedup across processes — a cached miss would let a duplicate through),
 * `acceptSignatureNonce` (single use), `publicKey`/`remoteDocument` (key
 * rotation must be seen at once). See Fedify's `FederationKvPrefixes`.
 */
export const FEDIFY_CACHEABLE_PREFIXES: readonly KvKey[] = [
  ["_fedify", "circuit"],
  ["_fedify", "httpMessageSignaturesSpec"],
];

export interface CachedKvStoreOptions {
  /** Only keys under these prefixes are cached (values and absence alike). */
  readonly prefixes: readonly KvKey[];
  /** How long a read is served from memory. Default 30 s: the bound on staleness. */
  readonly ttlMs?: number;
  /** Entries kept, least recently used dropped first. Default 10,000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry {
  /** JSON text of the value; undefined = absent. Parsed afresh for every reader. */
  readonly json: string | undefined;
  readonly expiresAt: number;
  /** We wrote exactly this value without a TTL: rewriting it changes nothing. */
  readonly writtenPersistent: boolean;
}

/**
 * A `KvStore` in front of another (PostgresKvStore) that serves reads of a
 * few listed prefixes from an in-process LRU for a short TTL, writes through,
 * and skips a `set` of the very value it last wrote (Fedify rewrites the
 * per-origin signature spec on every delivery). `cas`, `delete` and `list`
 * go to the store; `cas` and `delete` drop the cached entry, a successful
 * `cas` caches its new value. Any other key passes straight through.
 */
export class CachedKvStore implements KvStore {
  readonly #inner: KvStore;
  readonly #prefixes: readonly string[];
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  /** Bumped by every write of a cached key: a read that raced one is not cached. */
  #writes = 0;

  constructor(inner: KvStore, options: CachedKvStoreOptions) {
    this.#inner = inner;
    // `["a","b"` matches `["a","b"]` and `["a","b",…]`, never `["a","bc"]`.
    this.#prefixes = options.prefixes.map((p) => JSON.stringify(p).slice(0, -1));
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#max = Math.max(1, options.maxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** Number of cached entries (tests). */
  get size(): number {
    return this.#entries.size;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const k = this.#cacheKey(key);
    if (k === null) return this.#inner.get<T>(key);
    const hit = this.#fresh(k);
    if (hit) return hit.json === undefined ? undefined : (JSON.parse(hit.json) as T);
    const writes = this.#writes;
    const value = await this.#inner.get<T>(key);
    if (writes === this.#writes) {
      this.#store(k, {
        json: value === undefined ? undefined : toJsonText(value),
        expiresAt: this.#now() + this.#ttlMs,
        writtenPersistent: false,
      });
    }
    return value;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const k = this.#cacheKey(key);
    if (k === null) return this.#inner.set(key, value, options);
    if (value === undefined) return this.delete(key);
    const json = toJsonText(value);
    const known = this.#fresh(k);
    if (known?.writtenPersistent && known.json === json && options?.ttl === undefined) return;
    this.#writes++;
    this.#entries.delete(k);
    await this.#inner.set(key, value, options);
    this.#writes++;
    this.#store(k, {
      json,
      expiresAt: this.#expiry(options),
      writtenPersistent: options?.ttl === undefined,
    });
  }

  async delete(key: KvKey): Promise<void> {
    const k = this.#cacheKey(key);
    if (k !== null) {
      this.#writes++;
      this.#entries.delete(k);
    }
    await this.#inner.delete(key);
  }

  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    if (!this.#inner.cas) throw new TypeError("The wrapped KvStore has no cas()");
    const k = this.#cacheKey(key);
    if (k === null) return this.#inner.cas(key, expectedValue, newValue, options);
    this.#writes++;
    this.#entries.delete(k);
    const swapped = await this.#inner.cas(key, expectedValue, newValue, options);
    this.#writes++;
    if (swapped && newValue !== undefined) {
      this.#store(k, {
        json: toJsonText(newValue),
        expiresAt: this.#expiry(options),
        writtenPersistent: options?.ttl === undefined,
      });
    }
    return swapped;
  }

  list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    return this.#inner.list(prefix);
  }

  #cacheKey(key: KvKey): string | null {
    const k = JSON.stringify(key);
    for (const p of this.#prefixes) {
      if (k.startsWith(p) && (k.length === p.length + 1 || k[p.length] === ",")) return k;
    }
    return null;
  }

  #fresh(k: string): Entry | undefined {
    const entry = this.#entries.get(k);
    if (entry === undefined) return undefined;
    this.#entries.delete(k);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(k, entry); // most recently used last
    return entry;
  }

  #store(k: string, entry: Entry): void {
    this.#entries.delete(k);
    this.#entries.set(k, entry);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  #expiry(options: KvStoreSetOptions | undefined): number {
    const ttl = options?.ttl === undefined ? this.#ttlMs : durationToMs(options.ttl);
    return this.#now() + Math.min(this.#ttlMs, ttl);
  }
}
