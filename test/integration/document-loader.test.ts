import { subscribe, unsubscribe } from "node:diagnostics_channel";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  createFederation,
  FetchError,
  generateCryptoKeyPair,
  MemoryKvStore,
  verifyRequest,
} from "@fedify/fedify";
import { CryptographicKey, Note } from "@fedify/vocab";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createDocumentLoaders } from "../../federation/document-loader.ts";
import { createSafeFetch, type SafeFetch } from "../../src/net/safe-fetch.ts";
import { isSafeFetchError } from "../../src/net/safe-fetch-error.ts";

// SECURITY.md #17, #18, #20, #26 and #27 through the loader Fedify uses.

const AS = "https://www.w3.org/ns/activitystreams";
type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface Remote {
  readonly origin: string;
  readonly hits: string[];
  connections: number;
  route(path: string, route: Route): void;
  close(): Promise<void>;
}

async function startRemote(host: string): Promise<Remote> {
  const routes = new Map<string, Route>();
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? "");
    const route = routes.get(req.url ?? "");
    if (route) return route(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const remote: Remote = {
    origin: `http://${host}:${(server.address() as AddressInfo).port}`,
    hits,
    connections: 0,
    route: (path, route) => routes.set(path, route),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on("connection", () => {
    remote.connections++;
  });
  return remote;
}

const json =
  (body: unknown, contentType = "application/activity+json"): Route =>
  (_req, res) => {
    res.writeHead(200, { "content-type": contentType });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
const note = (id: string, content = "hello") => ({
  "@context": AS,
  id,
  type: "Note",
  content,
});

let socketsOpened = 0;
const onSocket = () => {
  socketsOpened++;
};
beforeAll(() => subscribe("net.client.socket", onSocket));
afterAll(() => unsubscribe("net.client.socket", onSocket));

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
async function remote(host = "127.0.0.1") {
  const r = await startRemote(host);
  cleanup.push(() => r.close());
  return r;
}
function loaders(options: { allowPrivateAddress?: boolean; timeoutMs?: number } = {}) {
  const safeFetch: SafeFetch = createSafeFetch({
    allowPrivateAddress: options.allowPrivateAddress ?? true,
    userAgent: "Haven/test",
  });
  cleanup.push(() => safeFetch.close());
  return createDocumentLoaders({ safeFetch, timeoutMs: options.timeoutMs });
}
async function rejection(promise: Promise<unknown>): Promise<FetchError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FetchError);
  return error as FetchError;
}

describe("document loader: origin (#17)", () => {
  it("loads a document whose id is its final URL after redirects", async () => {
    const r = await remote();
    r.route("/old", (_req, res) => res.writeHead(301, { location: "/notes/1" }).end());
    r.route("/notes/1", json(note(`${r.origin}/notes/1`)));
    const doc = await loaders().documentLoader(`${r.origin}/old`);
    expect(doc.documentUrl).toBe(`${r.origin}/notes/1`);
    expect(doc.document).toMatchObject({ id: `${r.origin}/notes/1`, content: "hello" });
  });

  it("accepts a key id whose fragment names a part of the fetched document", async () => {
    const r = await remote();
    r.route(
      "/users/alice",
      json({ "@context": AS, id: `${r.origin}/users/alice`, type: "Person" }),
    );
    const doc = await loaders().documentLoader(`${r.origin}/users/alice#main-key`);
    expect(doc.documentUrl).toBe(`${r.origin}/users/alice`);
  });

  it("never returns a document that claims another URL's id; asks that URL instead", async () => {
    const victim = await remote("127.0.0.2");
    const evil = await remote("127.0.0.3");
    victim.route("/notes/1", json(note(`${victim.origin}/notes/1`, "the real note")));
    evil.route("/fake", json(note(`${victim.origin}/notes/1`, "forged words")));
    const doc = await loaders().documentLoader(`${evil.origin}/fake`);
    expect(doc.documentUrl).toBe(`${victim.origin}/notes/1`);
    expect(doc.document).toMatchObject({ content: "the real note" });
    expect(victim.hits).toEqual(["/notes/1"]);
  });

  it("rejects when the id's own URL does not confirm it", async () => {
    const r = await remote();
    r.route("/a", json(note(`${r.origin}/b`)));
    r.route("/b", json(note(`${r.origin}/c`)));
    r.route("/c", json(note(`${r.origin}/c`)));
    const error = await rejection(loaders().documentLoader(`${r.origin}/a`));
    expect(error.message).toContain("does not match");
    expect(r.hits).toEqual(["/a", "/b"]); // one re-fetch, no chasing
  });

  it.each([
    ["no id", { "@context": AS, type: "Note" }],
    ["a numeric id", { "@context": AS, id: 7, type: "Note" }],
    ["a urn id", { "@context": AS, id: "urn:uuid:1", type: "Note" }],
    ["an array body", [{ id: "x" }]],
  ])("rejects a document with %s", async (_label, body) => {
    const r = await remote();
    r.route("/x", json(body));
    await rejection(loaders().documentLoader(`${r.origin}/x`));
  });
});

describe("document loader: content type (#18)", () => {
  it.each([
    "text/html; charset=utf-8",
    "text/plain",
    "application/json",
    "application/octet-stream",
    "",
  ])("rejects an object served as %j", async (contentType) => {
    const r = await remote();
    r.route("/notes/1", (_req, res) => {
      res.writeHead(200, contentType === "" ? {} : { "content-type": contentType });
      res.end(JSON.stringify(note(`${r.origin}/notes/1`)));
    });
    const error = await rejection(loaders().documentLoader(`${r.origin}/notes/1`));
    expect(error.message).toContain("Not an ActivityPub document");
  });

  it.each([
    "application/activity+json",
    "application/activity+json; charset=utf-8",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    "application/ld+json",
  ])("accepts %s", async (contentType) => {
    const r = await remote();
    r.route("/notes/1", json(note(`${r.origin}/notes/1`), contentType));
    const doc = await loaders().documentLoader(`${r.origin}/notes/1`);
    expect(doc.document).toMatchObject({ type: "Note" });
  });

  it("does not follow <link rel=alternate> in HTML or a Link header (GHSA-97w4-f4rq-mgqm)", async () => {
    const r = await remote();
    r.route("/@alice/1", (_req, res) => {
      res.writeHead(200, {
        "content-type": "text/html",
        link: '</ap/2>; rel="alternate"; type="application/activity+json"',
      });
      res.end('<html><head><link rel="alternate" type="application/activity+json" href="/ap/1">');
    });
    r.route("/ap/1", json(note(`${r.origin}/ap/1`)));
    r.route("/ap/2", json(note(`${r.origin}/ap/2`)));
    await rejection(loaders().documentLoader(`${r.origin}/@alice/1`));
    expect(r.hits).toEqual(["/@alice/1"]);
  });

  it("passes 404/410 on with the response so Fedify can cache the failure", async () => {
    const r = await remote();
    const error = await rejection(loaders().documentLoader(`${r.origin}/missing`));
    expect(error.response?.status).toBe(404);
  });
});

describe("document loader: SSRF and bounds (#20, #26, #27)", () => {
  it("refuses a private address without connecting when private addresses are off", async () => {
    const r = await remote();
    r.route("/users/alice", json(note(`${r.origin}/users/alice`)));
    socketsOpened = 0;
    const { documentLoader, authenticatedDocumentLoaderFactory } = loaders({
      allowPrivateAddress: false,
    });
    const error = await rejection(documentLoader(`${r.origin}/users/alice`));
    expect(isSafeFetchError(error.cause, "private-address")).toBe(true);
    const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const signed = authenticatedDocumentLoaderFactory({
      keyId: new URL("https://haven.example/users/a#main-key"),
      privateKey: keys.privateKey,
    });
    await rejection(signed(`${r.origin}/users/alice`));
    expect(r.connections).toBe(0);
    expect(socketsOpened).toBe(0);
  });

  it("cuts a 50 MB document at 1 MiB", async () => {
    const r = await remote();
    let written = 0;
    r.route("/huge", (_req, res) => {
      res.writeHead(200, { "content-type": "application/activity+json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (written < 50 * 1024 * 1024 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      pump();
    });
    const error = await rejection(loaders().documentLoader(`${r.origin}/huge`));
    expect(isSafeFetchError(error.cause, "too-large")).toBe(true);
    expect(written).toBeLessThan(10 * 1024 * 1024);
  });

  it("gives up at the deadline on a document that trickles", async () => {
    const r = await remote();
    const timers: NodeJS.Timeout[] = [];
    cleanup.push(() => timers.forEach(clearInterval));
    r.route("/slow", (_req, res) => {
      res.writeHead(200, { "content-type": "application/activity+json" }).write("{");
      timers.push(setInterval(() => res.write(" "), 5000));
    });
    const started = Date.now();
    const error = await rejection(loaders({ timeoutMs: 500 }).documentLoader(`${r.origin}/slow`));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.message).toMatch(/Deadline|Timed out/);
  });
});

describe("context loader", () => {
  it("serves preloaded contexts without any network access", async () => {
    socketsOpened = 0;
    const { contextLoader, documentLoader } = loaders({ allowPrivateAddress: false });
    for (const url of [AS, "https://w3id.org/security/v1"]) {
      const doc = await contextLoader(url);
      expect(doc.document).toHaveProperty("@context");
      expect((await documentLoader(url)).documentUrl).toBe(url);
    }
    expect(socketsOpened).toBe(0);
  });

  it("loads a remote context served as JSON but not one served as HTML", async () => {
    const r = await remote();
    r.route(
      "/ns",
      json({ "@context": { toot: "http://joinmastodon.org/ns#" } }, "application/json"),
    );
    r.route("/html", json({ "@context": {} }, "text/html"));
    const { contextLoader } = loaders();
    expect((await contextLoader(`${r.origin}/ns`)).document).toHaveProperty("@context.toot");
    await rejection(contextLoader(`${r.origin}/html`));
  });
});

describe("signed fetches", () => {
  async function signedRemote() {
    const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const keyId = new URL("https://haven.example/users/instance#main-key");
    const key = new CryptographicKey({
      id: keyId,
      owner: new URL("https://haven.example/users/instance"),
      publicKey: keys.publicKey,
    });
    const keyDocument = await key.toJsonLd();
    const r = await remote();
    /** Verifies the request's signature with our public key, as a peer would. */
    const verify = async (req: http.IncomingMessage) => {
      const headers = new Headers();
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
        headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      }
      const request = new Request(`${r.origin}${req.url}`, { headers });
      const verified = await verifyRequest(request, {
        spec: headers.has("signature-input") ? "rfc9421" : "draft-cavage-http-signatures-12",
        documentLoader: async (url) => ({
          contextUrl: null,
          documentUrl: url,
          document: keyDocument,
        }),
      });
      return { verified: verified?.id?.href ?? null, signature: headers.get("signature") };
    };
    return { keys, keyId, r, verify };
  }

  it("signs each hop with draft-cavage; the signature verifies with our key", async () => {
    const { keys, keyId, r, verify } = await signedRemote();
    const seen: { verified: string | null; signature: string | null }[] = [];
    r.route("/private/old", async (req, res) => {
      seen.push(await verify(req));
      res.writeHead(302, { location: "/private/1" }).end();
    });
    r.route("/private/1", async (req, res) => {
      const result = await verify(req);
      seen.push(result);
      if (result.verified === null) return void res.writeHead(401).end();
      json(note(`${r.origin}/private/1`, "followers only"))(req, res);
    });
    const loader = loaders().authenticatedDocumentLoaderFactory({
      keyId,
      privateKey: keys.privateKey,
    });
    const doc = await loader(`${r.origin}/private/old`);
    expect(doc.document).toMatchObject({ content: "followers only" });
    expect(seen.map((s) => s.verified)).toEqual([keyId.href, keyId.href]);
    expect(seen[0]?.signature).toMatch(
      /^keyId="[^"]+",algorithm="rsa-sha256",headers="\(request-target\)/,
    );
    expect(seen[0]?.signature).not.toBe(seen[1]?.signature);
  });

  it("knocks again with RFC 9421 when the peer refuses draft-cavage", async () => {
    const { keys, keyId, r, verify } = await signedRemote();
    const specs: string[] = [];
    r.route("/rfc-only", async (req, res) => {
      const rfc = req.headers["signature-input"] !== undefined;
      specs.push(rfc ? "rfc9421" : "cavage");
      const { verified } = await verify(req);
      if (!rfc || verified === null) return void res.writeHead(401).end();
      json(note(`${r.origin}/rfc-only`))(req, res);
    });
    const loader = loaders().authenticatedDocumentLoaderFactory({
      keyId,
      privateKey: keys.privateKey,
    });
    expect((await loader(`${r.origin}/rfc-only`)).documentUrl).toBe(`${r.origin}/rfc-only`);
    expect(specs).toEqual(["cavage", "rfc9421"]);
  });
});

describe("wired into Fedify", () => {
  it("lets ctx.lookupObject parse a remote Note and refuse an HTML one", async () => {
    const r = await remote();
    r.route("/notes/1", json(note(`${r.origin}/notes/1`, "from afar")));
    r.route("/notes/2", json(note(`${r.origin}/notes/2`), "text/html"));
    const { documentLoaderFactory, contextLoaderFactory, authenticatedDocumentLoaderFactory } =
      loaders();
    const federation = createFederation<void>({
      kv: new MemoryKvStore(),
      documentLoaderFactory,
      contextLoaderFactory,
      authenticatedDocumentLoaderFactory,
    });
    const ctx = federation.createContext(new URL("https://haven.example"), undefined);
    const found = await ctx.lookupObject(`${r.origin}/notes/1`);
    expect(found).toBeInstanceOf(Note);
    expect((found as Note).content?.toString()).toBe("from afar");
    expect(await ctx.lookupObject(`${r.origin}/notes/2`)).toBeNull();
  });
});
