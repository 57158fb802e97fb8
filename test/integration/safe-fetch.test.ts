import { subscribe, unsubscribe } from "node:diagnostics_channel";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSafeFetch, type SafeFetch } from "../../src/net/safe-fetch.ts";
import {
  isSafeFetchError,
  type SafeFetchError,
  type SafeFetchErrorCode,
} from "../../src/net/safe-fetch-error.ts";

// SECURITY.md tests 20–23, 26 and 27 for the one outbound HTTP client.

interface TestServer {
  readonly origin: string;
  readonly port: number;
  connections: number;
  requests: { path: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

async function startServer(host: string, handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    state.requests.push({ path: req.url ?? "", headers: req.headers });
    handler(req, res);
  });
  server.on("connection", () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const state: TestServer = {
    origin: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** Every client socket this process opens (Node's `net.client.socket` channel). */
let socketsOpened = 0;
const onSocket = () => {
  socketsOpened++;
};
beforeAll(() => subscribe("net.client.socket", onSocket));
afterAll(() => unsubscribe("net.client.socket", onSocket));

async function expectRefused(
  promise: Promise<unknown>,
  code: SafeFetchErrorCode,
): Promise<SafeFetchError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isSafeFetchError(error)).toBe(true);
  if (!isSafeFetchError(error)) throw error;
  expect(error.code).toBe(code);
  return error;
}

const servers: TestServer[] = [];
const fetchers: SafeFetch[] = [];
async function server(host: string, handler: http.RequestListener) {
  const s = await startServer(host, handler);
  servers.push(s);
  return s;
}
function fetcher(options: Partial<Parameters<typeof createSafeFetch>[0]> = {}) {
  const f = createSafeFetch({ allowPrivateAddress: false, userAgent: "Haven/test", ...options });
  fetchers.push(f);
  return f;
}
afterEach(async () => {
  for (const f of fetchers.splice(0)) f.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const hello: http.RequestListener = (_req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("hello");
};

describe("SSRF: private destinations are refused without connecting (20)", () => {
  let v4: TestServer;
  let v6: TestServer;
  beforeEach(async () => {
    v4 = await server("127.0.0.1", hello);
    v6 = await server("::1", hello);
    socketsOpened = 0;
  });

  it.each([
    (p4: number) => `http://127.0.0.1:${p4}/key`,
    (p4: number) => `http://localhost:${p4}/key`,
    (p4: number) => `http://0x7f000001:${p4}/key`,
    (p4: number) => `http://2130706433:${p4}/key`,
    (p4: number) => `http://0177.0.0.1:${p4}/key`,
    (p4: number) => `http://127.1:${p4}/key`,
    (p4: number) => `http://[::ffff:7f00:1]:${p4}/key`,
    (p4: number) => `http://[::ffff:127.0.0.1]:${p4}/key`,
    (_p4: number, p6: number) => `http://[::1]:${p6}/key`,
    () => "http://10.0.0.1/inbox",
    () => "http://169.254.169.254/latest/meta-data/",
    () => "http://100.64.0.1/",
    () => "http://[fc00::1]/",
    () => "http://[fe80::1]/",
    () => "http://[64:ff9b::a9fe:a9fe]/",
    () => "http://[2002:7f00:1::1]/",
    () => "https://0.0.0.0/",
  ])("refuses case %#", async (makeUrl) => {
    const url = makeUrl(v4.port, v6.port);
    await expectRefused(fetcher()(url), "private-address");
    expect(v4.connections + v6.connections).toBe(0);
    expect(socketsOpened).toBe(0);
  });

  it("refuses a host name that resolves to a private address", async () => {
    const safeFetch = fetcher({ resolve: async () => ["10.1.2.3"] });
    await expectRefused(safeFetch("https://intranet.example/"), "private-address");
    expect(socketsOpened).toBe(0);
  });

  it("refuses a host name when any of its addresses is private", async () => {
    const safeFetch = fetcher({ resolve: async () => ["93.184.215.14", "127.0.0.1"] });
    const error = await expectRefused(safeFetch("https://mixed.example/"), "private-address");
    expect(error.message).toContain("https://mixed.example/");
    expect(socketsOpened).toBe(0);
  });

  it("reports an unresolvable host as a dns error", async () => {
    const safeFetch = fetcher({ resolve: async () => [] });
    await expectRefused(safeFetch("https://nowhere.example/"), "dns");
    const failing = fetcher({
      resolve: () => Promise.reject(new Error("ENOTFOUND")),
    });
    await expectRefused(failing("https://nowhere.example/"), "dns");
  });

  it("validate() applies the same policy without connecting", async () => {
    const safeFetch = fetcher();
    await expectRefused(safeFetch.validate("http://[::ffff:a9fe:a9fe]/inbox"), "private-address");
    await expectRefused(safeFetch.validate("ftp://example.com/"), "scheme");
    await expect(safeFetch.validate("http://93.184.215.14/inbox")).resolves.toBeUndefined();
    expect(socketsOpened).toBe(0);
  });

  it("allows loopback when allowPrivateAddress is on", async () => {
    const { response, url } = await fetcher({ allowPrivateAddress: true })(`${v4.origin}/ok`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("hello");
    expect(url).toBe(`${v4.origin}/ok`);
    expect(socketsOpened).toBe(1); // the probe does see real connections
  });
});

describe("SSRF: redirects and DNS (21)", () => {
  it("refuses a public URL that redirects to a private one, before connecting", async () => {
    const internal = await server("127.0.0.6", hello);
    const pub = await server("127.0.0.5", (_req, res) => {
      res.writeHead(302, { location: `http://internal.test:${internal.port}/admin` });
      res.end();
    });
    const safeFetch = fetcher({
      resolve: async (host) => (host === "public.test" ? ["127.0.0.5"] : ["127.0.0.6"]),
      exemptAddresses: ["127.0.0.5"], // 127.0.0.5 plays a public server
    });
    const error = await expectRefused(
      safeFetch(`http://public.test:${pub.port}/start`),
      "private-address",
    );
    expect(error.url).toBe(`http://internal.test:${internal.port}/admin`);
    expect(pub.requests.map((r) => r.path)).toEqual(["/start"]);
    expect(internal.connections).toBe(0);

    // The same with an IP literal and an IPv4-mapped literal as the target.
    for (const target of [
      `http://127.0.0.6:${internal.port}/`,
      `http://[::ffff:7f00:6]:${internal.port}/`,
    ]) {
      const hop = await server("127.0.0.5", (_req, res) => {
        res.writeHead(301, { location: target });
        res.end();
      });
      await expectRefused(safeFetch(`http://public.test:${hop.port}/`), "private-address");
    }
    expect(internal.connections).toBe(0);
  });

  it("connects to the checked address, not to a second DNS answer (pinning)", async () => {
    const good = await server("127.0.0.5", hello);
    const evil = await server("127.0.0.6", hello);
    const answers = [["127.0.0.5"], ["127.0.0.6"]];
    let lookups = 0;
    const safeFetch = fetcher({
      // First answer passes the check; a rebinding resolver then flips.
      resolve: async () => answers[Math.min(lookups++, 1)] ?? [],
      exemptAddresses: ["127.0.0.5"],
    });
    // "rebind.test" does not exist in real DNS: success proves the socket
    // used the pinned answer and nothing resolved the name again.
    const { response } = await safeFetch(`http://rebind.test:${good.port}/`);
    expect(response.status).toBe(200);
    expect(lookups).toBe(1);
    expect(good.requests[0]?.headers.host).toBe(`rebind.test:${good.port}`);
    expect(evil.connections).toBe(0);
  });
});

describe("redirect limits (22)", () => {
  it("stops a redirect loop", async () => {
    const s = await server("127.0.0.1", (req, res) => {
      res.writeHead(302, { location: req.url === "/a" ? "/b" : "/a" });
      res.end();
    });
    const error = await expectRefused(
      fetcher({ allowPrivateAddress: true })(`${s.origin}/a`),
      "too-many-redirects",
    );
    expect(error.message).toContain("loop");
    expect(s.requests.map((r) => r.path)).toEqual(["/a", "/b"]);
  });

  it("stops a 30-hop chain after maxRedirects (default 5)", async () => {
    const s = await server("127.0.0.1", (req, res) => {
      const n = Number(req.url?.slice(1));
      if (n >= 30) return hello(req, res);
      res.writeHead(307, { location: `/${n + 1}` });
      res.end();
    });
    const safeFetch = fetcher({ allowPrivateAddress: true });
    await expectRefused(safeFetch(`${s.origin}/0`), "too-many-redirects");
    expect(s.requests).toHaveLength(6); // the request plus 5 followed redirects

    const { response, url, redirects } = await safeFetch(`${s.origin}/25`);
    expect(response.status).toBe(200);
    expect(url).toBe(`${s.origin}/30`);
    expect(redirects).toBe(5);

    await expectRefused(safeFetch(`${s.origin}/28`, { maxRedirects: 1 }), "too-many-redirects");
  });
});

describe("schemes (23)", () => {
  it.each([
    "file:///etc/passwd",
    "data:application/activity+json,{}",
    "gopher://127.0.0.1:70/_GET",
    "ftp://example.com/x",
    "javascript:alert(1)",
    "ws://example.com/",
    "not a url",
  ])("refuses %s without a fetch", async (url) => {
    socketsOpened = 0;
    await expectRefused(fetcher({ allowPrivateAddress: true })(url), "scheme");
    expect(socketsOpened).toBe(0);
  });

  it("refuses a redirect to file:", async () => {
    const s = await server("127.0.0.1", (_req, res) => {
      res.writeHead(302, { location: "file:///etc/passwd" });
      res.end();
    });
    await expectRefused(fetcher({ allowPrivateAddress: true })(s.origin), "scheme");
  });
});

describe("bounds: size and time (26, 27)", () => {
  const FIFTY_MB = 50 * 1024 * 1024;

  /** Streams `total` bytes in 64 KiB chunks, honouring back-pressure. */
  function streamBytes(total: number, headers: http.OutgoingHttpHeaders = {}) {
    const sent = { bytes: 0, closedEarly: false };
    const handler: http.RequestListener = (_req, res) => {
      res.writeHead(200, { "content-type": "application/activity+json", ...headers });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      res.on("close", () => {
        sent.closedEarly = sent.bytes < total;
      });
      const pump = () => {
        while (sent.bytes < total && !res.destroyed) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    };
    return { sent, handler };
  }

  it("cuts a 50 MB chunked stream at the cap", async () => {
    const { sent, handler } = streamBytes(FIFTY_MB);
    const s = await server("127.0.0.1", handler);
    const error = await expectRefused(
      fetcher({ allowPrivateAddress: true })(s.origin),
      "too-large",
    );
    expect(error.message).toContain(s.origin);
    await expect.poll(() => sent.closedEarly).toBe(true);
    expect(sent.bytes).toBeLessThan(FIFTY_MB / 4);
  });

  it("rejects a declared Content-Length over the cap before reading", async () => {
    const { sent, handler } = streamBytes(FIFTY_MB, { "content-length": FIFTY_MB });
    const s = await server("127.0.0.1", handler);
    const error = await expectRefused(
      fetcher({ allowPrivateAddress: true })(s.origin),
      "too-large",
    );
    expect(error.message).toContain("Declared");
    await expect.poll(() => sent.closedEarly).toBe(true);
  });

  it("applies a per-call cap and counts decoded bytes of a gzip bomb", async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const s = await server("127.0.0.1", (req, res) => {
      if (req.url === "/bomb") {
        res.writeHead(200, { "content-encoding": "gzip", "content-length": bomb.length });
        return void res.end(bomb);
      }
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("x".repeat(2000));
    });
    const safeFetch = fetcher({ allowPrivateAddress: true });
    await expectRefused(safeFetch(`${s.origin}/bomb`), "too-large");
    await expectRefused(safeFetch(`${s.origin}/text`, { maxBodyBytes: 1000 }), "too-large");
    const { response } = await safeFetch(`${s.origin}/text`, { maxBodyBytes: 2000 });
    expect((await response.text()).length).toBe(2000);
  });

  it("decodes a gzip body within the cap", async () => {
    const s = await server("127.0.0.1", (req, res) => {
      expect(req.headers["accept-encoding"]).toBe("gzip, br");
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(JSON.stringify({ ok: true })));
    });
    const { response } = await fetcher({ allowPrivateAddress: true })(s.origin);
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(await response.json()).toEqual({ ok: true });
  });

  it("aborts a body that trickles one byte every 5 s at the deadline; others are served", async () => {
    const timers: NodeJS.Timeout[] = [];
    const s = await server("127.0.0.1", (req, res) => {
      if (req.url !== "/key") return hello(req, res);
      res.writeHead(200, { "content-type": "application/activity+json" });
      res.write("{");
      timers.push(setInterval(() => res.write(" "), 5000));
    });
    const safeFetch = fetcher({ allowPrivateAddress: true, timeoutMs: 1500 });
    const started = Date.now();
    const slow = expectRefused(safeFetch(`${s.origin}/key`), "timeout");
    // While the slow call hangs, other requests through the same fetcher work.
    const { response } = await safeFetch(`${s.origin}/other`);
    expect(await response.text()).toBe("hello");
    const error = await slow;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(4000);
    expect(error.message).toContain(`${s.origin}/key`);
    for (const t of timers) clearInterval(t);
  });

  it("times out a server that never sends headers, per call", async () => {
    const s = await server("127.0.0.1", () => {});
    const started = Date.now();
    await expectRefused(
      fetcher({ allowPrivateAddress: true })(s.origin, { timeoutMs: 300 }),
      "timeout",
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("rejects with the caller's reason when the caller aborts", async () => {
    const s = await server("127.0.0.1", () => {});
    const controller = new AbortController();
    const call = fetcher({ allowPrivateAddress: true })(s.origin, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("shutting down")), 50);
    await expect(call).rejects.toThrow("shutting down");
  });
});

describe("behaviour callers rely on", () => {
  it("reuses a keep-alive connection across calls", async () => {
    const s = await server("127.0.0.1", hello);
    const safeFetch = fetcher({ allowPrivateAddress: true });
    for (let i = 0; i < 3; i++) {
      const { response } = await safeFetch(`${s.origin}/${i}`);
      expect(await response.text()).toBe("hello");
    }
    expect(s.requests).toHaveLength(3);
    expect(s.connections).toBe(1);
  });

  it("an earlier call's deadline does not disturb the pooled connection a later call reuses", async () => {
    const s = await server("127.0.0.1", (req, res) => {
      if (req.url === "/fast") return hello(req, res);
      setTimeout(() => hello(req, res), 600);
    });
    const safeFetch = fetcher({ allowPrivateAddress: true });
    await safeFetch(`${s.origin}/fast`, { timeoutMs: 200 });
    // /slow outlives the first call's 200 ms deadline on the same socket.
    const { response } = await safeFetch(`${s.origin}/slow`, { timeoutMs: 5000 });
    expect(await response.text()).toBe("hello");
    expect(s.connections).toBe(1);
  });

  it("sends the user agent, prepares every hop, and drops credentials across origins", async () => {
    const second = await server("127.0.0.2", hello);
    const first = await server("127.0.0.1", (_req, res) => {
      res.writeHead(302, { location: `${second.origin}/landing` });
      res.end();
    });
    const prepared: string[] = [];
    const { response, url } = await fetcher({ allowPrivateAddress: true })(`${first.origin}/x`, {
      headers: { authorization: "Bearer secret", accept: "application/activity+json" },
      prepareRequest: (request) => {
        prepared.push(request.url);
        const headers = new Headers(request.headers);
        headers.set("signature", `for ${new URL(request.url).pathname}`);
        return new Request(request.url, { headers });
      },
    });
    expect(response.status).toBe(200);
    expect(url).toBe(`${second.origin}/landing`);
    expect(prepared).toEqual([`${first.origin}/x`, `${second.origin}/landing`]);
    const [a] = first.requests;
    const [b] = second.requests;
    expect(a?.headers["user-agent"]).toBe("Haven/test");
    expect(a?.headers.authorization).toBe("Bearer secret");
    expect(a?.headers.signature).toBe("for /x");
    expect(b?.headers.authorization).toBeUndefined();
    expect(b?.headers.signature).toBe("for /landing");
    expect(b?.headers.accept).toBe("application/activity+json");
  });

  it("turns a POST into a GET on 303 and passes error statuses through", async () => {
    const s = await server("127.0.0.1", (req, res) => {
      if (req.url === "/form") {
        res.writeHead(303, { location: "/gone" });
        return void res.end();
      }
      res.writeHead(410, { "content-type": "text/plain" });
      res.end(req.method);
    });
    const { response } = await fetcher({ allowPrivateAddress: true })(`${s.origin}/form`, {
      method: "POST",
      body: "a=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(410);
    expect(await response.text()).toBe("GET");
    expect(s.requests.map((r) => r.headers["content-type"])).toEqual([
      "application/x-www-form-urlencoded",
      undefined,
    ]);
  });
});
