import { setTimeout as sleep } from "node:timers/promises";
import { HttpConnection, type RawResponse, type RequestOptions } from "./http-client.ts";
import { percentile } from "./stats.ts";

export interface PlannedRequest extends RequestOptions {
  raw: Buffer;
  /** An error message when the response is wrong; default: any non-2xx is wrong. */
  check?: (res: RawResponse) => string | null;
}

export interface LoadOptions {
  host: string;
  port: number;
  concurrency: number;
  durationMs: number;
  /** Open loop at this many requests/s (latency counted from the scheduled start). */
  rate?: number;
  /** The i-th request, or null when there are no more. */
  next(i: number): PlannedRequest | null;
}

export interface LoadResult {
  requests: number;
  failures: number;
  /** The first few failure messages. */
  failureSamples: string[];
  statuses: Record<string, number>;
  elapsedMs: number;
  /** Completed requests per second. */
  rate: number;
  bodyBytes: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

const defaultCheck = (res: RawResponse) =>
  res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`;

/**
 * `concurrency` keep-alive connections send requests from `next` for
 * `durationMs`: closed loop (each sends again as soon as it has an answer),
 * or open loop at `rate` when given.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const connections = Array.from(
    { length: options.concurrency },
    () => new HttpConnection(options.host, options.port),
  );
  await Promise.all(connections.map((c) => c.open()));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const failureSamples: string[] = [];
  let failures = 0;
  let bodyBytes = 0;
  let counter = 0;
  let exhausted = false;
  const start = performance.now();
  const end = start + options.durationMs;
  const interval = options.rate ? 1000 / options.rate : 0;

  const worker = async (conn: HttpConnection) => {
    while (!exhausted) {
      const i = counter++;
      let scheduled = performance.now();
      if (interval > 0) {
        scheduled = start + i * interval;
        if (scheduled >= end) break;
        const wait = scheduled - performance.now();
        if (wait > 1) await sleep(wait);
      } else if (scheduled >= end) break;
      const planned = options.next(i);
      if (planned === null) {
        exhausted = true;
        break;
      }
      let message: string | null;
      try {
        const res = await conn.request(planned.raw, planned);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        bodyBytes += res.bodyLength;
        message = (planned.check ?? defaultCheck)(res);
      } catch (e) {
        statuses.error = (statuses.error ?? 0) + 1;
        message = (e as Error).message;
      }
      latencies.push(performance.now() - scheduled);
      if (message !== null) {
        failures++;
        if (failureSamples.length < 5) failureSamples.push(message);
      }
    }
  };
  await Promise.all(connections.map(worker));
  const elapsedMs = performance.now() - start;
  for (const c of connections) c.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    failures,
    failureSamples,
    statuses,
    elapsedMs,
    rate: (latencies.length / elapsedMs) * 1000,
    bodyBytes,
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p90: percentile(latencies, 0.9),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? 0,
    },
  };
}
