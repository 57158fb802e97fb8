/**
 * Remembers, for a while, whether an actor document lists a key. The inbox
 * guard fetches the actor for every key kept in a document of its own
 * (GoToSocial's `/users/x/main-key`); without this, every forged or
 * mistaken delivery naming a dead actor costs us one outbound request
 * (SECURITY.md #10: twenty such requests, at most one fetch). Ten minutes,
 * as Fedify keeps unavailable keys; bounded, oldest entries dropped first.
 */
export class KeyListingCache {
  readonly #entries = new Map<string, { listed: boolean; expires: number }>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(actorId: string, keyId: string): boolean | undefined {
    const key = `${actorId}\n${keyId}`;
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.listed;
  }

  set(actorId: string, keyId: string, listed: boolean): void {
    const key = `${actorId}\n${keyId}`;
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { listed, expires: this.now() + this.ttlMs });
  }
}
