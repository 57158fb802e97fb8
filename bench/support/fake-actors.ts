import { generateKeyPair } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serveRpc } from "./rpc.ts";

/**
 * S4's remote side: `count` Mastodon-like actors on one loopback host, each
 * with its own RSA-2048 key, serving their actor documents (which hold the
 * keys), WebFinger, and inboxes that take Haven's Accepts with 202.
 */

interface Started {
  origin: string;
  host: string;
  /** PKCS#8 PEM of actor `a{i}`, for the load generator to sign with. */
  privateKeys: string[];
}

let received = 0;

function rsaPair(): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      "rsa",
      {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      },
      (error, publicKeyPem, privateKeyPem) =>
        error ? reject(error) : resolve({ publicKeyPem, privateKeyPem }),
    ),
  );
}

export function actorIri(origin: string, i: number): string {
  return `${origin}/users/a${i}`;
}

async function start(args: { host: string; count: number }): Promise<Started> {
  const pairs = await Promise.all(Array.from({ length: args.count }, rsaPair));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, args.host, resolve));
  const { port } = server.address() as AddressInfo;
  const host = `${args.host}:${port}`;
  const origin = `http://${host}`;
  const documents = pairs.map(({ publicKeyPem }, i) => {
    const id = actorIri(origin, i);
    return JSON.stringify({
      "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
      id,
      type: "Person",
      preferredUsername: `a${i}`,
      name: `Bench actor ${i}`,
      inbox: `${id}/inbox`,
      outbox: `${id}/outbox`,
      followers: `${id}/followers`,
      following: `${id}/following`,
      endpoints: { sharedInbox: `${origin}/inbox` },
      url: `${origin}/@a${i}`,
      publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem },
    });
  });
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
    res.end(body);
  };
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", origin);
    if (req.method === "POST") {
      req.resume();
      req.on("end", () => {
        received++;
        res.writeHead(202).end();
      });
      return;
    }
    const actor = /^\/users\/a(\d+)$/.exec(url.pathname);
    if (actor) {
      const doc = documents[Number(actor[1])];
      if (doc) return send(res, 200, "application/activity+json", doc);
    }
    if (url.pathname === "/.well-known/webfinger") {
      const resource = url.searchParams.get("resource") ?? "";
      const m = /(?:acct:a(\d+)@|\/users\/a(\d+)$)/.exec(resource);
      const i = m ? Number(m[1] ?? m[2]) : -1;
      if (i >= 0 && i < documents.length) {
        return send(
          res,
          200,
          "application/jrd+json",
          JSON.stringify({
            subject: `acct:a${i}@${host}`,
            aliases: [actorIri(origin, i)],
            links: [{ rel: "self", type: "application/activity+json", href: actorIri(origin, i) }],
          }),
        );
      }
    }
    send(res, 404, "text/plain", "not found");
  });
  return { origin, host, privateKeys: pairs.map((p) => p.privateKeyPem) };
}

serveRpc({
  start,
  received: () => received,
});
