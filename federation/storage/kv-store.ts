import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { getLogger, type Logger } from "@logtape/logtape";
import { type SQL, sql } from "drizzle-orm";
import { type Database, type Db, queryRows } from "../../src/db/client.ts";
import { durationToMs, toJsonText } from "./json.ts";

export interface PostgresKvStoreOptions {
  /** Minimum time between two purges of expired entries (done lazily on writes). */
  readonly purgeIntervalMs?: number;
  /** Entries fetched per round trip by `list()`. */
  readonly listPageSize?: number;
  readonly logger?: Logger;
}

const PURGE_BATCH = 1_000;
const MAX_PURGE_BATCHES = 50;

const LIVE = sql`(expires_at IS NULL OR expires_at > now())`;

/**
 * Fedify's `KvStore` on the `fedify_kv` table.
 *
 * Keys are stored as `JSON.stringify(key)` in a bytewise-collated primary
 * key, so `list(prefix)` is an index range scan: every key under `["a"]` is
 * either exactly `["a"]` or starts with `["a",`, and those sort between
 * `["a",` and `["a"-` (`-` follows `,`). A quote inside a key element is
 * escaped by JSON, so an element's closing quote is never ambiguous.
 *
 * Expired entries are filtered out of every read and purged in batches,
 * in the background at most once per `purgeIntervalMs`, after a write.
 */
export class PostgresKvStore implements KvStore {
  readonly #db: Db;
  readonly #purgeIntervalMs: number;
  readonly #pageSize: number;
  readonly #logger: Logger;
  #lastPurge = 0;
  #purging = false;

  constructor(database: Database, options: PostgresKvStoreOptions = {}) {
    this.#db = database.db;
    this.#purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
    this.#pageSize = options.listPageSize ?? 500;
    this.#logger = options.logger ?? getLogger(["haven", "kv"]);
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const rows = await queryRows<{ value: unknown }>(
      this.#db,
      sql`SELECT value FROM fedify_kv WHERE key = ${encodeKey(key)} AND ${LIVE}`,
    );
    return rows[0] === undefined ? undefined : (rows[0].value as T);
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    if (value === undefined) return this.delete(key);
    await this.#db.execute(sql`
      INSERT INTO fedify_kv (key, value, expires_at)
      VALUES (${encodeKey(key)}, ${toJsonText(value)}::json, ${expiresAt(options)})
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`);
    this.#maybePurge();
  }

  async delete(key: KvKey): Promise<void> {
    await this.#db.execute(sql`DELETE FROM fedify_kv WHERE key = ${encodeKey(key)}`);
  }

  /**
   * Sets `newValue` only if the live value equals `expectedValue` (JSON
   * equality; `undefined` = absent or expired). A `newValue` of `undefined`
   * deletes the entry. Atomic: the row lock taken by the conditional
   * UPDATE/DELETE/INSERT serialises concurrent callers.
   */
  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    const k = encodeKey(key);
    let query: SQL;
    if (expectedValue === undefined) {
      if (newValue === undefined) {
        const rows = await queryRows(
          this.#db,
          sql`SELECT 1 FROM fedify_kv WHERE key = ${k} AND ${LIVE}`,
        );
        return rows.length === 0;
      }
      // Absent or expired: insert, or overwrite the expired row.
      query = sql`
        INSERT INTO fedify_kv AS kv (key, value, expires_at)
        VALUES (${k}, ${toJsonText(newValue)}::json, ${expiresAt(options)})
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
          WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= now()
        RETURNING 1 AS ok`;
    } else {
      const matches = sql`key = ${k} AND ${LIVE} AND value::jsonb = ${toJsonText(expectedValue)}::jsonb`;
      query =
        newValue === undefined
          ? sql`DELETE FROM fedify_kv WHERE ${matches} RETURNING 1 AS ok`
          : sql`
            UPDATE fedify_kv SET value = ${toJsonText(newValue)}::json, expires_at = ${expiresAt(options)}
            WHERE ${matches} RETURNING 1 AS ok`;
    }
    const rows = await queryRows(this.#db, query);
    this.#maybePurge();
    return rows.length > 0;
  }

  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    let range = sql`TRUE`;
    if (prefix !== undefined && prefix.length > 0) {
      const open = JSON.stringify(prefix).slice(0, -1); // `["a","b"` without `]`
      range = sql`(key = ${`${open}]`} OR (key >= ${`${open},`} AND key < ${`${open}-`}))`;
    }
    let after: string | null = null;
    for (;;) {
      const page: { key: string; value: unknown }[] = await queryRows<{
        key: string;
        value: unknown;
      }>(
        this.#db,
        sql`SELECT key, value FROM fedify_kv
            WHERE ${range} AND ${LIVE} ${after === null ? sql`` : sql`AND key > ${after}`}
            ORDER BY key LIMIT ${this.#pageSize}`,
      );
      for (const row of page) yield { key: JSON.parse(row.key) as KvKey, value: row.value };
      if (page.length < this.#pageSize) return;
      after = page[page.length - 1]!.key;
    }
  }

  /** Deletes up to `batchSize` expired entries now. Returns how many. */
  async purgeExpired(batchSize = PURGE_BATCH): Promise<number> {
    this.#lastPurge = Date.now();
    const rows = await queryRows(
      this.#db,
      sql`DELETE FROM fedify_kv WHERE key IN (
            SELECT key FROM fedify_kv WHERE expires_at <= now() LIMIT ${batchSize})
          RETURNING 1 AS ok`,
    );
    return rows.length;
  }

  /**
   * In the background, so a write never waits for it; batches until caught
   * up (bounded), since idempotency records alone can expire by the thousand
   * per minute.
   */
  #maybePurge(): void {
    if (this.#purging || Date.now() - this.#lastPurge < this.#purgeIntervalMs) return;
    this.#purging = true;
    void (async () => {
      for (let i = 0; i < MAX_PURGE_BATCHES; i++) {
        if ((await this.purgeExpired()) < PURGE_BATCH) break;
      }
    })()
      .catch((error) => this.#logger.warn("Purging expired KV entries failed: {error}", { error }))
      .finally(() => {
        this.#purging = false;
      });
  }
}

function encodeKey(key: KvKey): string {
  return JSON.stringify(key);
}

function expiresAt(options: KvStoreSetOptions | undefined): SQL {
  if (options?.ttl === undefined) return sql`NULL`;
  return sql`now() + ${durationToMs(options.ttl)}::float8 * interval '1 millisecond'`;
}
