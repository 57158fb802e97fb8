import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { buildRequest, HttpConnection, type RawResponse } from "./http-client.ts";
import type { InboxPlan } from "./inbox-activities.ts";
import { type LoadResult, type PlannedRequest, runLoad } from "./load.ts";
import { bodyChecker } from "./media-pattern.ts";
import { serveRpc } from "./rpc.ts";

/**
 * The load generator process. Requests are prepared here (and inbox
 * requests signed ahead of time, off the clock) so the measured window
 * spends as little CPU as possible on the client side.
 */

interface Target {
  /** Address to connect to. */
  address: string;
  port: number;
  /** Host header (what the server thinks it is called). */
  host: string;
}

interface Common {
  target: Target;
  concurrency: number;
  durationMs: number;
  rate?: number;
}

let inboxPool: Buffer[] = [];
let stopRequested = false;

function load(args: Common, next: (i: number) => PlannedRequest | null): Promise<LoadResult> {
  stopRequested = false;
  return runLoad({
    host: args.target.address,
    port: args.target.port,
    concurrency: args.concurrency,
    durationMs: args.durationMs,
    rate: args.rate,
    next: (i) => (stopRequested ? null : next(i)),
  });
}

async function presign(args: { plan: InboxPlan; privateKeys: string[]; count: number }) {
  const started = performance.now();
  const threads = Math.max(1, Math.min(2, availableParallelism()));
  const per = Math.ceil(args.count / threads);
  const parts = await Promise.all(
    Array.from(
      { length: threads },
      (_, t) =>
        new Promise<Buffer[]>((resolve, reject) => {
          const worker = new Worker(new URL("./sign-worker.ts", import.meta.url), {
            workerData: {
              plan: args.plan,
              privateKeys: args.privateKeys,
              from: t * per,
              to: Math.min(args.count, (t + 1) * per),
            },
          });
          worker.once("message", (list: Uint8Array[]) => {
            resolve(list.map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength)));
            void worker.terminate();
          });
          worker.once("error", reject);
        }),
    ),
  );
  inboxPool = parts.flat();
  return { count: inboxPool.length, ms: performance.now() - started };
}

function jsonCheck(expect: (doc: Record<string, unknown>) => string | null) {
  return (res: RawResponse): string | null => {
    if (res.status !== 200) return `HTTP ${res.status}`;
    if (!res.body) return null;
    try {
      return expect(JSON.parse(res.body.toString("utf8")) as Record<string, unknown>);
    } catch (e) {
      return `unparsable body: ${(e as Error).message}`;
    }
  };
}

serveRpc({
  presign,

  inbox(args: Common) {
    return load(args, (i) => (i < inboxPool.length ? { raw: inboxPool[i]! } : null));
  },

  stop() {
    stopRequested = true;
  },

  /** WebFinger or actor-document GETs for random handles `${prefix}${n}`. */
  lookup(
    args: Common & { kind: "webfinger" | "actor"; prefix: string; pad: number; count: number },
  ) {
    const { host } = args.target;
    return load(args, (i) => {
      const handle = `${args.prefix}${String(Math.floor(Math.random() * args.count)).padStart(args.pad, "0")}`;
      const capture = i % 50 === 0;
      if (args.kind === "webfinger") {
        const subject = `acct:${handle}@${host}`;
        return {
          raw: buildRequest("GET", `/.well-known/webfinger?resource=${subject}`, host, {
            Accept: "application/jrd+json",
          }),
          capture,
          check: jsonCheck((doc) => {
            if (doc.subject !== subject) return `subject ${String(doc.subject)} ≠ ${subject}`;
            const links = (doc.links ?? []) as { rel?: string; href?: string }[];
            const self = links.find((l) => l.rel === "self");
            return self?.href === `http://${host}/users/${handle}` ? null : "no self link";
          }),
        };
      }
      return {
        raw: buildRequest("GET", `/users/${handle}`, host, { Accept: "application/activity+json" }),
        capture,
        check: (res) => {
          const type = res.headers["content-type"] ?? "";
          if (res.status === 200 && !/activity\+json|ld\+json/.test(type)) {
            return `content-type ${type}`;
          }
          return jsonCheck((doc) =>
            doc.id === `http://${host}/users/${handle}` && doc.preferredUsername === handle
              ? null
              : `wrong actor document (id ${String(doc.id)})`,
          )(res);
        },
      };
    });
  },

  /** Random `rangeBytes` ranges (mode "ranges") or whole-file GETs (mode "full"). */
  range(
    args: Common & { path: string; size: number; mode: "ranges" | "full"; rangeBytes: number },
  ) {
    const { host } = args.target;
    return load(args, () => {
      if (args.mode === "full") {
        const checker = bodyChecker(0);
        return {
          raw: buildRequest("GET", args.path, host),
          onBody: checker.onBody,
          check: (res) =>
            res.status !== 200
              ? `HTTP ${res.status}`
              : res.bodyLength !== args.size
                ? `full body ${res.bodyLength} bytes, expected ${args.size}`
                : checker.error,
        };
      }
      const start = Math.floor(Math.random() * (args.size - args.rangeBytes + 1));
      const end = start + args.rangeBytes - 1;
      const checker = bodyChecker(start);
      return {
        raw: buildRequest("GET", args.path, host, { Range: `bytes=${start}-${end}` }),
        onBody: checker.onBody,
        check: (res) => {
          if (res.status !== 206) return `HTTP ${res.status} for a range`;
          const cr = res.headers["content-range"];
          if (cr !== `bytes ${start}-${end}/${args.size}`) return `Content-Range ${cr}`;
          if (res.bodyLength !== args.rangeBytes) return `range body ${res.bodyLength} bytes`;
          return checker.error;
        },
      };
    });
  },

  /** The edge cases, once: unsatisfiable (416), suffix and open-ended ranges. */
  async rangeProbe(args: { target: Target; path: string; size: number }) {
    const { host } = args.target;
    const conn = new HttpConnection(args.target.address, args.target.port);
    const problems: string[] = [];
    const cases: { range: string; status: number; contentRange: string; start: number }[] = [
      { range: `bytes=${args.size}-`, status: 416, contentRange: `bytes */${args.size}`, start: 0 },
      {
        range: "bytes=-1000",
        status: 206,
        contentRange: `bytes ${args.size - 1000}-${args.size - 1}/${args.size}`,
        start: args.size - 1000,
      },
      {
        range: `bytes=${args.size - 7}-`,
        status: 206,
        contentRange: `bytes ${args.size - 7}-${args.size - 1}/${args.size}`,
        start: args.size - 7,
      },
    ];
    for (const c of cases) {
      const checker = bodyChecker(c.start);
      const res = await conn.request(buildRequest("GET", args.path, host, { Range: c.range }), {
        onBody: checker.onBody,
      });
      if (res.status !== c.status)
        problems.push(`${c.range}: HTTP ${res.status}, expected ${c.status}`);
      if (res.headers["content-range"] !== c.contentRange) {
        problems.push(
          `${c.range}: Content-Range ${res.headers["content-range"]}, expected ${c.contentRange}`,
        );
      }
      if (checker.error) problems.push(`${c.range}: ${checker.error}`);
    }
    conn.close();
    return problems;
  },

  /**
   * `readers` whole-file GETs that each read at most `bytesPerSecond`
   * (slow clients), for `durationMs`; then they hang up.
   */
  async slowReaders(args: {
    target: Target;
    path: string;
    readers: number;
    durationMs: number;
    bytesPerSecond: number;
  }) {
    const conns = Array.from(
      { length: args.readers },
      () => new HttpConnection(args.target.address, args.target.port),
    );
    await Promise.all(conns.map((c) => c.open()));
    const read = new Array<number>(args.readers).fill(0);
    const started = performance.now();
    const allowed = () => ((performance.now() - started) / 1000) * args.bytesPerSecond;
    const requests = conns.map((conn, i) =>
      conn
        .request(buildRequest("GET", args.path, args.target.host), {
          onBody: (chunk) => {
            read[i]! += chunk.length;
            if (read[i]! > allowed()) conn.socket?.pause();
          },
        })
        .catch(() => null),
    );
    const pacer = setInterval(() => {
      const budget = allowed();
      conns.forEach((conn, i) => {
        if (read[i]! <= budget) conn.socket?.resume();
      });
    }, 20);
    await new Promise((r) => setTimeout(r, args.durationMs));
    clearInterval(pacer);
    for (const c of conns) c.close();
    await Promise.all(requests);
    return { bytes: read.reduce((a, b) => a + b, 0) };
  },
});
