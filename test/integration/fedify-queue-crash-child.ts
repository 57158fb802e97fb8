// Not a test: a worker process for fedify-queue-crash.test.ts to kill -9.
// Usage: node --import tsx fedify-queue-crash-child.ts <database-url> <queue>
import "../../src/temporal.ts";
import { PostgresMessageQueue } from "../../federation/storage/index.ts";
import { openPostgres } from "../../src/db/client.ts";

const [url, queue] = process.argv.slice(2);
if (url === undefined || queue === undefined) throw new Error("usage: <database-url> <queue>");
const mq = new PostgresMessageQueue(openPostgres(url, { max: 2 }), {
  queue,
  leaseMs: 1_000,
  pollIntervalMs: 100,
});
void mq.listen(async (message) => {
  process.stdout.write(`started ${JSON.stringify(message)}\n`);
  await new Promise(() => {}); // a long job, cut short by SIGKILL
});
process.stdout.write("listening\n");
