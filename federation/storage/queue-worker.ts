import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "@logtape/logtape";
import type { Database, Db } from "../../src/db/client.ts";
import { QUEUE_CHANNEL } from "./enqueue.ts";
import {
  type ClaimedMessage,
  claimMessages,
  deleteMessages,
  msUntilNextDue,
  releaseForRetry,
  releaseUnstarted,
  renewLeases,
} from "./queue-sql.ts";
import { sleep, Wakeup } from "./wakeup.ts";

export interface WorkerSettings {
  readonly queue: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly pollIntervalMs: number;
  readonly maxAttempts: number;
  readonly retryBackoffMs: (attempt: number) => number;
  readonly shutdownTimeoutMs: number;
  readonly handlerTimeoutMs: number;
  readonly logger: Logger;
}

export type MessageHandler = (message: unknown) => Promise<void> | void;

/** Time given to the last deletes of succeeded messages during shutdown. */
const ACK_DRAIN_MS = 5_000;
/** Pause before retrying a database call that failed (the database may be restarting). */
const DB_ERROR_PAUSE_MS = 500;

/**
 * One `listen()` call: claims messages with a lease, runs up to
 * `concurrency` handlers, deletes a message only after its handler
 * succeeded, renews the leases of running handlers, and on abort stops
 * claiming and waits (bounded) for the running ones.
 */
export class QueueWorker {
  readonly #db: Db;
  readonly #database: Database;
  readonly #s: WorkerSettings;
  readonly #handler: MessageHandler;
  readonly #id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #wakeup = new Wakeup();
  /** Running handlers by message id. */
  readonly #running = new Map<string, Promise<void>>();
  /** Ids whose lease this worker holds: running, or succeeded and awaiting delete. */
  readonly #held = new Set<string>();
  #pendingDeletes: string[] = [];
  #flush: Promise<void> | null = null;
  #heartbeatBusy = false;
  /** Set once shutdown gave up on stragglers: their outcome no longer touches the database. */
  #abandoned = false;

  constructor(database: Database, settings: WorkerSettings, handler: MessageHandler) {
    this.#database = database;
    this.#db = database.db;
    this.#s = settings;
    this.#handler = handler;
  }

  /** Resolves after `signal` aborts and the shutdown finished. Never rejects. */
  async run(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return;
    const log = this.#s.logger;
    let unlisten: (() => Promise<void>) | null = null;
    try {
      unlisten = await this.#database.notifier.listen(QUEUE_CHANNEL, (payload) => {
        if (payload === this.#s.queue) this.#wakeup.wake();
      });
    } catch (error) {
      log.warn("LISTEN failed; falling back to polling: {error}", { error });
    }
    const heartbeat = setInterval(() => void this.#renewLeases(), this.#s.heartbeatMs);
    try {
      await this.#claimLoop(signal);
      await this.#drain();
    } catch (error) {
      log.error("Queue worker stopped on an unexpected error: {error}", { error });
    } finally {
      clearInterval(heartbeat);
      await unlisten?.().catch((error) => log.warn("UNLISTEN failed: {error}", { error }));
    }
  }

  async #claimLoop(signal: AbortSignal | undefined): Promise<void> {
    const s = this.#s;
    while (!signal?.aborted) {
      const free = s.concurrency - this.#running.size;
      if (free > 0) {
        let claimed: ClaimedMessage[];
        try {
          claimed = await claimMessages(this.#db, s.queue, this.#id, free, s.leaseMs);
        } catch (error) {
          s.logger.warn("Claiming messages failed: {error}", { error });
          await sleep(s.pollIntervalMs, signal);
          continue;
        }
        if (signal?.aborted) {
          await this.#releaseUnstarted(claimed);
          return;
        }
        for (const message of claimed) this.#start(message);
        if (claimed.length === free) continue; // there may be more
      }
      await this.#wakeup.wait(await this.#idleWaitMs(free > 0), signal);
    }
  }

  /** Until the next delayed message is due, capped by the poll interval. */
  async #idleWaitMs(checkDue: boolean): Promise<number> {
    const poll = this.#s.pollIntervalMs;
    if (!checkDue) return poll;
    try {
      const due = await msUntilNextDue(this.#db, this.#s.queue);
      // A few ms late, so the claim's now() is past deliver_at.
      return due === null ? poll : Math.min(poll, Math.max(due, 0) + 5);
    } catch {
      return poll;
    }
  }

  #start(claimed: ClaimedMessage): void {
    const { id } = claimed;
    this.#held.add(id);
    if (claimed.attempts > this.#s.maxAttempts) {
      // Claimed this many times without success: most likely it kills the
      // process. Give up instead of crashing forever.
      this.#s.logger.error(
        "Giving up on message {id} of queue {queue} after {attempts} claims without success",
        { id, queue: this.#s.queue, attempts: claimed.attempts - 1, ...summarize(claimed.message) },
      );
      this.#deleteWhenFlushed(id);
      return;
    }
    const run = (async () => {
      let failure: { error: unknown } | null = null;
      try {
        await this.#runHandler(claimed.message);
      } catch (error) {
        failure = { error };
      }
      if (this.#abandoned) return;
      if (failure === null) this.#deleteWhenFlushed(id);
      else await this.#handleFailure(claimed, failure.error);
    })().finally(() => {
      this.#running.delete(id);
      this.#wakeup.wake();
    });
    this.#running.set(id, run);
  }

  /**
   * The handler, bounded in time: a hung handler would otherwise keep its
   * lease alive (heartbeat) and its slot busy forever. After the timeout the
   * message is retried like after a failure; the hung call is left behind.
   */
  async #runHandler(message: unknown): Promise<void> {
    const ms = this.#s.handlerTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Handler did not finish within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([Promise.resolve().then(() => this.#handler(message)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #handleFailure(claimed: ClaimedMessage, error: unknown): Promise<void> {
    const { id, attempts } = claimed;
    const { queue, logger } = this.#s;
    if (attempts >= this.#s.maxAttempts) {
      logger.error(
        "Giving up on message {id} of queue {queue} after {attempts} attempts: {error}",
        {
          id,
          queue,
          attempts,
          error,
          message: claimed.message,
        },
      );
      this.#deleteWhenFlushed(id);
      return;
    }
    const backoffMs = this.#s.retryBackoffMs(attempts);
    logger.warn("Handler failed for message {id} of queue {queue} (attempt {attempts}): {error}", {
      id,
      queue,
      attempts,
      backoffMs,
      error,
    });
    try {
      await releaseForRetry(this.#db, this.#id, [id], backoffMs, describe(error));
    } catch (dbError) {
      // The lease runs out instead; the message is retried then.
      logger.warn("Could not release message {id} for retry: {dbError}", { id, dbError });
    }
    this.#held.delete(id);
  }

  /** Deletes are batched: those arriving while one DELETE runs go in the next. */
  #deleteWhenFlushed(id: string): void {
    this.#pendingDeletes.push(id);
    void this.#flushDeletes();
  }

  #flushDeletes(): Promise<void> {
    if (this.#flush !== null) return this.#flush;
    if (this.#pendingDeletes.length === 0) return Promise.resolve();
    const ids = this.#pendingDeletes;
    this.#pendingDeletes = [];
    this.#flush = (async () => {
      try {
        await deleteMessages(this.#db, this.#id, ids);
        for (const id of ids) this.#held.delete(id);
      } catch (error) {
        this.#s.logger.warn("Deleting {count} finished messages failed: {error}", {
          count: ids.length,
          error,
        });
        this.#pendingDeletes.unshift(...ids);
        await sleep(DB_ERROR_PAUSE_MS);
      }
    })().finally(() => {
      this.#flush = null;
      // A deleted head of an ordering key lets its successor be claimed.
      this.#wakeup.wake();
      if (!this.#abandoned) void this.#flushDeletes();
    });
    return this.#flush;
  }

  async #renewLeases(): Promise<void> {
    if (this.#heartbeatBusy || this.#held.size === 0) return;
    this.#heartbeatBusy = true;
    const ids = [...this.#held];
    try {
      const kept = new Set(await renewLeases(this.#db, this.#id, ids, this.#s.leaseMs));
      const lost = ids.filter((id) => !kept.has(id) && this.#held.has(id));
      if (lost.length > 0) {
        this.#s.logger.warn("Lost the lease of messages {lost}; they may run twice", { lost });
      }
    } catch (error) {
      this.#s.logger.warn("Renewing leases failed: {error}", { error });
    } finally {
      this.#heartbeatBusy = false;
    }
  }

  async #releaseUnstarted(claimed: readonly ClaimedMessage[]): Promise<void> {
    if (claimed.length === 0) return;
    try {
      await releaseUnstarted(
        this.#db,
        this.#id,
        claimed.map((m) => m.id),
      );
    } catch (error) {
      this.#s.logger.warn("Releasing unstarted messages failed: {error}", { error });
    }
  }

  /** After abort: wait for running handlers (bounded), then for their deletes. */
  async #drain(): Promise<void> {
    const { shutdownTimeoutMs, logger, queue } = this.#s;
    if (this.#running.size > 0) {
      const stop = new AbortController();
      await Promise.race([
        Promise.allSettled(this.#running.values()),
        sleep(shutdownTimeoutMs, stop.signal),
      ]);
      stop.abort();
    }
    this.#abandoned = this.#running.size > 0;
    if (this.#running.size > 0) {
      // Give the stragglers' messages back now rather than when the lease
      // runs out; their late outcome is ignored (`#abandoned`).
      const ids = [...this.#running.keys()];
      logger.warn(
        "{count} handlers of queue {queue} still running after {shutdownTimeoutMs} ms; " +
          "returning their messages to the queue",
        { count: ids.length, queue, shutdownTimeoutMs },
      );
      for (const id of ids) this.#held.delete(id);
      try {
        await releaseForRetry(this.#db, this.#id, ids, 0, "worker shut down during the handler");
      } catch (error) {
        logger.warn("Returning messages failed; they reappear when the lease ends: {error}", {
          error,
        });
      }
    }
    const deadline = Date.now() + ACK_DRAIN_MS;
    while ((this.#flush !== null || this.#pendingDeletes.length > 0) && Date.now() < deadline) {
      await this.#flushDeletes();
    }
    this.#abandoned = true;
  }
}

function describe(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return text.slice(0, 4_000);
}

/**
 * What is safe to log about a message: Fedify's outbox messages carry the
 * sender's private keys, so never the payload itself.
 */
function summarize(message: unknown): Record<string, string> {
  const summary: Record<string, string> = {};
  if (typeof message !== "object" || message === null) return summary;
  for (const field of ["type", "id", "activityId", "activityType", "inbox"]) {
    const value = (message as Record<string, unknown>)[field];
    if (typeof value === "string") summary[field] = value.slice(0, 500);
  }
  return summary;
}
