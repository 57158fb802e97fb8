export {
  type EnqueueOptions,
  enqueueInTransaction,
  enqueueManyInTransaction,
  QUEUE_CHANNEL,
} from "./enqueue.ts";
export { PostgresKvStore, type PostgresKvStoreOptions } from "./kv-store.ts";
export {
  defaultRetryBackoffMs,
  PostgresMessageQueue,
  type PostgresMessageQueueOptions,
} from "./message-queue.ts";
