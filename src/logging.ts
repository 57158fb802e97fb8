import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink, type LogLevel as LogTapeLevel } from "@logtape/logtape";
import type { LogLevel } from "./config.ts";

export async function setupLogging(level: LogLevel): Promise<void> {
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
      { category: ["haven"], lowestLevel: level as LogTapeLevel, sinks: ["console"] },
      // Fedify logs every delivery failure at warning; keep it at least that quiet.
      {
        category: ["fedify"],
        lowestLevel: level === "debug" || level === "trace" ? level : "warning",
        sinks: ["console"],
      },
    ],
  });
}
