import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import { getLogger, type Logger } from "@logtape/logtape";
import type { Database } from "../../src/db/client.ts";
import { enqueueManyInTransaction } from "./enqueue.ts";
import { queueDepth } from "./queue-sql.ts";
import { QueueWorker, type WorkerSettings } from "./queue-worker.ts";

export interface PostgresMessageQueueOptions {
  /** Logical queue in the shared `fedify_messages` table, e.g. "inbox", "outbox", "fanout". */
  readonly queue: string;
  /** Handlers one `listen()` runs at once. Deliveries wait on remote servers, so: many. */
  readonly concurrency?: number;
  /** How long a claim lasts without renewal; after a crash the message reappears then. */
  readonly leaseMs?: number;
  /** How often running handlers' leases are renewed. Default: a third of the lease. */
  readonly heartbeatMs?: number;
  /** Fallback poll when no NOTIFY arrives (also picks up expired leases). */
  readonly pollIntervalMs?: number;
  /** Claims of one message before it is dropped (logged as an error). */
  readonly maxAttempts?: number;
  /** Delay before a message whose handler threw is retried, by attempt (1-based). */
  readonly retryBackoffMs?: (attempt: number) => number;
  /**
   * On abort, how long `listen()` waits for running handlers; messages whose
   * handlers are still running then go back to the queue.
   */
  readonly shutdownTimeoutMs?: number;
  /**
   * A handler still running after this long counts as failed and its message
   * is retried (the heartbeat would otherwise keep a hung handler's lease
   * forever). Deliveries have their own, shorter deadlines.
   */
  readonly handlerTimeoutMs?: number;
  readonly logger?: Logger;
}

/** 1 s, 2 s, 4 s … capped at 10 min: 20 attempts span about two hours. */
export function defaultRetryBackoffMs(attempt: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attempt - 1), 600_000);
}

/**
 * Fedify's `MessageQueue` on the `fedify_messages` table, at-least-once.
 *
 * A worker leases messages (`locked_until`), runs the handler and deletes
 * the row only after it succeeded; a throwing handler makes the message
 * visible again after a backoff; a crashed worker's lease simply runs out.
 * Several processes may listen on the same queue. Messages with the same
 * `orderingKey` run one at a time in enqueue order (see `claimMessages`).
 *
 * To enqueue inside a business transaction, use `enqueueInTransaction(tx,
 * queue, message)` from `./enqueue.ts` with the same queue name.
 */
export class PostgresMessageQueue implements MessageQueue {
  /** Fedify retries outbox/inbox failures itself by re-enqueueing. */
  readonly nativeRetrial = false;
  readonly queue: string;
  readonly #database: Database;
  readonly #settings: WorkerSettings;
  readonly #batcher = new EnqueueBatcher((messages) =>
    enqueueManyInTransaction(this.#database.db, this.queue, messages),
  );

  constructor(database: Database, options: PostgresMessageQueueOptions) {
    this.#database = database;
    this.queue = options.queue;
    const leaseMs = options.leaseMs ?? 60_000;
    const settings: WorkerSettings = {
      queue: options.queue,
      concurrency: options.concurrency ?? 32,
      leaseMs,
      heartbeatMs: options.heartbeatMs ?? Math.max(100, Math.floor(leaseMs / 3)),
      pollIntervalMs: options.pollIntervalMs ?? 1_000,
      maxAttempts: options.maxAttempts ?? 20,
      retryBackoffMs: options.retryBackoffMs ?? defaultRetryBackoffMs,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 20_000,
      handlerTimeoutMs: options.handlerTimeoutMs ?? 10 * 60_000,
      logger: options.logger ?? getLogger(["haven", "queue", options.queue]),
    };
    if (!(settings.concurrency >= 1)) throw new RangeError("concurrency must be at least 1");
    if (settings.heartbeatMs >= leaseMs) throw new RangeError("heartbeatMs must be below leaseMs");
    this.#settings = settings;
  }

  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    if (options?.delay !== undefined || options?.orderingKey !== undefined) {
      return enqueueManyInTransaction(this.#database.db, this.queue, [message], options);
    }
    return this.#batcher.add(message);
  }

  enqueueMany(messages: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    return enqueueManyInTransaction(this.#database.db, this.queue, messages, options);
  }

  listen(
    handler: (message: unknown) => Promise<void> | void,
    options: MessageQueueListenOptions = {},
  ): Promise<void> {
    return new QueueWorker(this.#database, this.#settings, handler).run(options.signal);
  }

  getDepth(): Promise<MessageQueueDepth> {
    return queueDepth(this.#database.db, this.queue);
  }
}

/**
 * Group commit for plain enqueues (no delay, no ordering key): the first
 * message is inserted at once; those arriving while that INSERT runs go
 * together in the next one. Nothing waits at low load, and under load
 * (an inbox taking many activities at once) one statement, one commit and
 * one NOTIFY serve many messages. Each caller's promise settles when the
 * INSERT holding its message has committed (or failed), so an inbox still
 * answers 202 only for what is stored.
 */
class EnqueueBatcher {
  #pending: { message: unknown; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #running = false;

  constructor(
    private readonly insert: (messages: unknown[]) => Promise<void>,
    /** Rows per INSERT at most; the rest wait for the next round. */
    private readonly maxBatch = 500,
  ) {}

  add(message: unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ message, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.maxBatch);
        try {
          await this.insert(batch.map((p) => p.message));
          for (const p of batch) p.resolve();
        } catch (error) {
          if (batch.length === 1) {
            batch[0]?.reject(error);
            continue;
          }
          // One bad message must not fail the others: insert them one by one.
          await Promise.all(batch.map((p) => this.insert([p.message]).then(p.resolve, p.reject)));
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
