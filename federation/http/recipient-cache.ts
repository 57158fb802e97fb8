import { findActorByHandle } from "../../src/actors/actor.service.ts";
import type { Db } from "../../src/db/client.ts";

/**
 * Which local actors exist, for the inbox fast path's personal-inbox check.
 * Only hits are kept (a minute): an unknown name is asked again, and the
 * fast path leaves it to Fedify, whose actor dispatcher answers 404.
 */
export class RecipientCache {
  readonly #known = new Map<string, number>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async exists(db: Db, identifier: string): Promise<boolean> {
    const key = identifier.toLowerCase();
    const expires = this.#known.get(key);
    if (expires !== undefined && expires > this.now()) return true;
    this.#known.delete(key);
    if ((await findActorByHandle(db, identifier)) === null) return false;
    if (this.#known.size >= this.maxEntries) this.#known.clear();
    this.#known.set(key, this.now() + this.ttlMs);
    return true;
  }
}
