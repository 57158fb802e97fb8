import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { verifyRequest } from "../../test/support/http-signatures.ts";
import { serveRpc } from "./rpc.ts";

/**
 * The audience of the fan-out scenarios: one HTTP server per loopback
 * address (127.0.1.1 …), all on one port, so 1,000 "hosts" live in one
 * light process. Every POST is counted per host and per inbox, its
 * signature headers checked, and one in `VERIFY_EVERY` fully verified.
 * Hosts answer 202 at once, after `delayMs`, or (dead hosts) never.
 */

const VERIFY_EVERY = 25;

export function sinkAddress(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

interface Round {
  startedAt: number;
  total: number;
  healthy: number;
  firstAt: number;
  lastHealthyAt: number;
  lastAt: number;
  perInbox: Map<string, number>;
  hosts: Set<string>;
  activityIds: Set<string>;
  types: Map<string, number>;
  paths: { shared: number; personal: number; other: number };
  bodyBytes: number;
  /** GETs (NodeInfo lookups), not counted as deliveries. */
  gets: number;
  problems: string[];
  problemCount: number;
  verified: number;
}

const state = {
  servers: [] as Server[],
  port: 0,
  delayMs: 0,
  dead: new Set<string>(),
  held: new Set<ServerResponse>(),
  keys: new Map<string, Promise<{ pem: string; owner: string } | null>>(),
  round: newRound(),
  waiters: [] as { count: number; resolve(): void }[],
};

function newRound(): Round {
  return {
    startedAt: now(),
    total: 0,
    healthy: 0,
    firstAt: 0,
    lastHealthyAt: 0,
    lastAt: 0,
    perInbox: new Map(),
    hosts: new Set(),
    activityIds: new Set(),
    types: new Map(),
    paths: { shared: 0, personal: 0, other: 0 },
    bodyBytes: 0,
    gets: 0,
    problems: [],
    problemCount: 0,
    verified: 0,
  };
}

/** Milliseconds on a clock every process of this machine shares. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function problem(round: Round, text: string): void {
  round.problemCount++;
  if (round.problems.length < 5) round.problems.push(text);
}

/** A key from `configure`, or the signer's actor document (Haven's, over loopback). */
function fetchKey(keyId: string) {
  let entry = state.keys.get(keyId);
  if (!entry) {
    entry = (async () => {
      const res = await fetch(keyId, { headers: { Accept: "application/activity+json" } });
      if (!res.ok) return null;
      const doc = (await res.json()) as { publicKey?: unknown };
      const keys = Array.isArray(doc.publicKey) ? doc.publicKey : [doc.publicKey];
      for (const k of keys as { id?: string; owner?: string; publicKeyPem?: string }[]) {
        if (k?.id === keyId && k.publicKeyPem) return { pem: k.publicKeyPem, owner: k.owner ?? "" };
      }
      return null;
    })();
    state.keys.set(keyId, entry);
  }
  return entry;
}

/** Hosts say they run Mastodon, so a video goes to them only as a Note (ADR 0003). */
function answerGet(req: IncomingMessage, res: ServerResponse): void {
  state.round.gets++;
  const origin = `http://${req.headers.host}`;
  const json = (body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { "content-type": "application/json", "content-length": text.length });
    res.end(text);
  };
  if (req.url === "/.well-known/nodeinfo") {
    json({
      links: [
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `${origin}/nodeinfo/2.0` },
      ],
    });
  } else if (req.url === "/nodeinfo/2.0") {
    json({
      version: "2.0",
      software: { name: "mastodon", version: "4.3.0" },
      protocols: ["activitypub"],
      usage: { users: { total: 10 } },
      openRegistrations: false,
    });
  } else res.writeHead(404, { "content-length": "0" }).end();
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === "GET") {
    answerGet(req, res);
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const round = state.round;
    const at = now();
    const host = req.socket.localAddress ?? "?";
    const dead = state.dead.has(host);
    const body = Buffer.concat(chunks);
    round.total++;
    round.lastAt = at;
    if (round.firstAt === 0) round.firstAt = at;
    if (!dead) {
      round.healthy++;
      round.lastHealthyAt = at;
    }
    round.bodyBytes += body.length;
    const path = req.url ?? "";
    const inbox = `${host}${path}`;
    round.perInbox.set(inbox, (round.perInbox.get(inbox) ?? 0) + 1);
    round.hosts.add(host);
    if (path === "/inbox") round.paths.shared++;
    else if (/^\/users\/[^/]+\/inbox$/.test(path)) round.paths.personal++;
    else round.paths.other++;
    if (req.method !== "POST") problem(round, `${req.method} ${path}`);
    const names = req.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    const signatures = names.filter((n) => n === "signature").length;
    if (signatures !== 1 || names.includes("signature-input")) {
      problem(
        round,
        `${inbox}: ${signatures} Signature headers, RFC 9421: ${names.includes("signature-input")}`,
      );
    }
    if (!names.includes("digest")) problem(round, `${inbox}: no Digest header`);
    try {
      const activity = JSON.parse(body.toString("utf8")) as { id?: string; type?: string };
      round.activityIds.add(String(activity.id));
      const type = String(activity.type);
      round.types.set(type, (round.types.get(type) ?? 0) + 1);
    } catch {
      problem(round, `${inbox}: body is not JSON`);
    }
    if (round.total % VERIFY_EVERY === 1) {
      const headers = req.headers as Record<string, string | string[] | undefined>;
      void verifyRequest({ method: "POST", path, headers, body, fetchKey }).then((result) => {
        if (result.ok) round.verified++;
        else
          problem(
            round,
            `${inbox}: signature does not verify (${result.reason}: ${result.detail})`,
          );
      });
    }
    for (const w of [...state.waiters]) {
      if (round.healthy >= w.count) {
        state.waiters.splice(state.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
    if (dead) {
      state.held.add(res);
      res.on("close", () => state.held.delete(res));
      return;
    }
    const answer = () => res.writeHead(202, { "content-length": "0" }).end();
    if (state.delayMs > 0) setTimeout(answer, state.delayMs);
    else answer();
  });
}

async function listenAll(count: number, port: number): Promise<Server[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer({ keepAliveTimeout: 30_000 }, onRequest);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, sinkAddress(i), () => {
          server.removeListener("error", reject);
          resolve();
        });
      });
      servers.push(server);
    }
    return servers;
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
}

serveRpc({
  /** Binds `hosts` addresses on one free port. */
  async start(args: { hosts: number }) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = 20_000 + Math.floor(Math.random() * 40_000);
      try {
        state.servers = await listenAll(args.hosts, port);
        state.port = port;
        return { port, addresses: state.servers.map((_, i) => sinkAddress(i)) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
      }
    }
    throw new Error("no port free on every sink address");
  },
  configure(args: { delayMs: number; deadHosts: string[]; keys?: Record<string, string> }) {
    state.delayMs = args.delayMs;
    state.dead = new Set(args.deadHosts);
    for (const [keyId, pem] of Object.entries(args.keys ?? {})) {
      state.keys.set(keyId, Promise.resolve({ pem, owner: "" }));
    }
  },
  /** Starts counting afresh. */
  arm() {
    state.round = newRound();
    state.waiters = [];
  },
  /** Resolves once `count` POSTs reached healthy hosts (or after `timeoutMs`). */
  async waitFor(args: { count: number; timeoutMs: number }) {
    if (state.round.healthy < args.count) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => state.waiters.push({ count: args.count, resolve })),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, args.timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    return report();
  },
  /** Waits until no POST arrived for `quietMs`, then reports. */
  async settle(args: { quietMs: number }) {
    for (;;) {
      const last = Math.max(state.round.lastAt, state.round.startedAt);
      const idle = now() - last;
      if (idle >= args.quietMs) break;
      await new Promise((r) => setTimeout(r, args.quietMs - idle + 5));
    }
    return report();
  },
  /** Drops the connections dead hosts were holding. */
  releaseDead() {
    const n = state.held.size;
    for (const res of state.held) res.socket?.destroy();
    state.held.clear();
    return n;
  },
  report,
});

function report() {
  const r = state.round;
  let duplicates = 0;
  for (const n of r.perInbox.values()) if (n > 1) duplicates += n - 1;
  return {
    total: r.total,
    healthy: r.healthy,
    firstAt: r.firstAt,
    lastAt: r.lastAt,
    lastHealthyAt: r.lastHealthyAt,
    inboxes: r.perInbox.size,
    hosts: r.hosts.size,
    duplicates,
    activities: r.activityIds.size,
    types: Object.fromEntries(r.types),
    paths: r.paths,
    meanBodyBytes: r.total ? Math.round(r.bodyBytes / r.total) : 0,
    gets: r.gets,
    verified: r.verified,
    problemCount: r.problemCount,
    problems: r.problems,
  };
}

export type SinkReport = ReturnType<typeof report>;
