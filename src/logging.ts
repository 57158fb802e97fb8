import { AsyncLocalStorage } from "node:async_hooks";
import {
  compareLogLevel,
  configure,
  getConsoleSink,
  type LogRecord,
  type LogLevel as LogTapeLevel,
  type Sink,
} from "@logtape/logtape";
import type { LogLevel } from "./config.ts";
import { reclassifying } from "./log-levels.ts";

/**
 * LOG_LEVEL for Haven's own categories. Fedify is at least as quiet as
 * `warning` unless the operator asks for `debug` or `trace`: it logs every
 * received activity at `info`.
 */
export async function setupLogging(level: LogLevel, options: { sink?: Sink } = {}): Promise<void> {
  const haven = level as LogTapeLevel;
  const fedify: LogTapeLevel =
    level === "debug" || level === "trace" || compareLogLevel(haven, "warning") > 0
      ? haven
      : "warning";
  const sink = reclassifying(options.sink ?? plainStrings(getConsoleSink()), (category) =>
    category[0] === "fedify" ? fedify : haven,
  );
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { main: sink },
    loggers: [
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
      { category: ["haven"], lowestLevel: haven, sinks: ["main"] },
      { category: ["fedify"], lowestLevel: fedify, sinks: ["main"] },
    ],
  });
}

/**
 * The console formatter prints every value with `%o`, so strings come out
 * quoted ('GET' '/healthz'); text values are written into the line as text
 * instead (the formatter still strips control sequences from it), with any
 * `%` escaped so that a path like `/a%sb` cannot shift the values after it.
 */
function plainStrings(sink: Sink): Sink {
  return (record: LogRecord) => {
    const message: unknown[] = [record.message[0]];
    for (let i = 1; i < record.message.length; i += 2) {
      const value = record.message[i];
      const next = record.message[i + 1] ?? "";
      // `%` doubled: the formatter hands the line to console.log as a format string.
      if (typeof value === "string") {
        message.push(`${message.pop()}${value.replaceAll("%", "%%")}${next}`);
      } else message.push(value, next);
    }
    sink({ ...record, message });
  };
}
