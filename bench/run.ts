import "../src/temporal.ts";
import { s9 } from "./scenarios/blocklist.ts";
import { s1, s2, s3 } from "./scenarios/fanout.ts";
import { type InboxCapacity, s4 } from "./scenarios/inbox.ts";
import { s8 } from "./scenarios/isolation.ts";
import { s5, s6 } from "./scenarios/lookup.ts";
import { s7 } from "./scenarios/media.ts";
import { Bench, BenchFailure } from "./support/bench.ts";
import { parseOptions, type ScenarioId } from "./support/options.ts";
import { type FailedRow, formatFailure, formatRow, type Row } from "./support/report.ts";

/**
 * `npm run bench`: BENCHMARKS.md's scenarios, each next to its plain-Node
 * baseline, interleaved round by round. Progress goes to stderr, the table
 * to stdout. Exit 1 when a correctness check failed (the numbers of that
 * scenario are then withheld); missed performance goals are marked ✗.
 */
async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 64;
  }
  const started = Date.now();
  process.stderr.write(
    `Haven bench: ${options.only.join(", ")}; ${options.rounds} rounds, ${options.durationMs / 1000} s runs\n`,
  );
  const bench = await Bench.create(options);
  const rows: (Row | FailedRow)[] = [];
  let capacity: InboxCapacity | null = null;
  const stop = async () => {
    await bench.close().catch(() => {});
    process.exit(130);
  };
  process.once("SIGINT", () => void stop());
  try {
    const scenarios: Record<ScenarioId, () => Promise<Row | Row[]>> = {
      S1: () => s1(bench),
      S2: () => s2(bench),
      S3: () => s3(bench),
      S4: async () => {
        const result = await s4(bench);
        capacity = result.capacity;
        return result.row;
      },
      S5: () => s5(bench),
      S6: () => s6(bench),
      S7: () => s7(bench),
      S8: () => s8(bench, capacity),
      S9: () => s9(bench),
    };
    for (const id of options.only) {
      process.stderr.write(`${id} …\n`);
      const t = Date.now();
      try {
        const result = await scenarios[id]();
        rows.push(...(Array.isArray(result) ? result : [result]));
      } catch (e) {
        const message = e instanceof BenchFailure ? e.message : ((e as Error).stack ?? String(e));
        process.stderr.write(`${id} FAILED: ${message}\n`);
        rows.push({ name: id, failure: message.split("\n")[0]! });
        // Leave nothing behind for the next scenario.
        await bench.purgeDeliveries().catch(() => {});
      }
      process.stderr.write(`${id} took ${Math.round((Date.now() - t) / 1000)} s\n`);
    }
  } finally {
    await bench.close();
  }
  console.log(
    `\nHaven bench — ${options.rounds} rounds, ${options.durationMs / 1000} s runs, ratio = Haven ÷ baseline (median [min–max]); ${Math.round((Date.now() - started) / 1000)} s in all`,
  );
  for (const row of rows) console.log("failure" in row ? formatFailure(row) : formatRow(row));
  return rows.some((row) => "failure" in row) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
