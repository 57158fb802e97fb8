import { format } from "node:util";
import { getLogger, reset } from "@logtape/logtape";
import { afterEach, expect, test, vi } from "vitest";
import { setupLogging } from "../../src/logging.ts";

afterEach(async () => {
  vi.restoreAllMocks();
  await reset();
});

/** What the console shows for each call (console.log formats its arguments this way). */
function consoleLines(method: "debug" | "info"): string[] {
  const lines: string[] = [];
  vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    lines.push(format(...args));
  });
  return lines;
}

test("console lines show text values as text, and a `%` in them shifts nothing", async () => {
  const lines = consoleLines("debug");
  await setupLogging("debug");
  getLogger(["haven", "http"]).debug("{method} {path} {status} {ms} ms {remote}", {
    method: "GET",
    path: "/users/a%sb%o%%",
    status: 404,
    ms: 3,
    remote: "127.0.0.1",
  });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/ DBG haven·http GET \/users\/a%sb%o%% 404 3 ms 127\.0\.0\.1$/);
});

test("LOG_LEVEL=info: no request lines, Fedify's 'unsupported activity' error dropped", async () => {
  const debug = consoleLines("debug");
  const errors: string[] = [];
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    errors.push(format(...args));
  });
  await setupLogging("info");
  getLogger(["haven", "http"]).debug("{method} {path}", { method: "GET", path: "/" });
  getLogger(["fedify", "federation", "inbox"]).error("Unsupported activity type:\n{activity}", {
    activity: { type: "Add" },
  });
  getLogger(["haven", "uploads"]).error("Upload {id} could not be stored: {detail}", {
    id: "u1",
    detail: "ENOSPC",
  });
  expect(debug).toEqual([]);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/ERR haven·uploads Upload u1 could not be stored: ENOSPC$/);
});
