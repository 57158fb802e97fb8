import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import postgres from "postgres";
import { serveRpc } from "../support/rpc.ts";

/**
 * Baseline for S4: a bare `node:http` inbox. Check the Digest, verify the
 * draft-cavage RSA signature with a cached key (fetched once per keyId),
 * one INSERT per activity, 202. Nothing else.
 */

const keys = new Map<string, Promise<KeyObject>>();

function keyFor(keyId: string): Promise<KeyObject> {
  let key = keys.get(keyId);
  if (!key) {
    key = (async () => {
      const res = await fetch(keyId, { headers: { Accept: "application/activity+json" } });
      const doc = (await res.json()) as { publicKey: { publicKeyPem: string } };
      return createPublicKey(doc.publicKey.publicKeyPem);
    })();
    key.catch(() => keys.delete(keyId));
    keys.set(keyId, key);
  }
  return key;
}

function parseSignature(header: string) {
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
  return params;
}

async function handle(req: IncomingMessage, body: Buffer, sql: postgres.Sql): Promise<number> {
  const digest = req.headers.digest ?? "";
  if (digest !== `SHA-256=${createHash("sha256").update(body).digest("base64")}`) return 400;
  const sig = parseSignature(String(req.headers.signature ?? ""));
  if (!sig.keyId || !sig.signature || !sig.headers) return 401;
  const lines = sig.headers
    .split(" ")
    .map((name) =>
      name === "(request-target)"
        ? `(request-target): ${req.method!.toLowerCase()} ${req.url}`
        : `${name}: ${req.headers[name] ?? ""}`,
    );
  const key = await keyFor(sig.keyId);
  const ok = verify(
    "sha256",
    Buffer.from(lines.join("\n")),
    key,
    Buffer.from(sig.signature, "base64"),
  );
  if (!ok) return 401;
  const activity = JSON.parse(body.toString("utf8")) as { id: string; type: string; actor: string };
  if (!sig.keyId.startsWith(`${activity.actor}#`)) return 401;
  await sql`INSERT INTO bench_baseline_inbox (id, type, actor, body)
            VALUES (${activity.id}, ${activity.type}, ${activity.actor}, ${body.toString("utf8")}::jsonb)`;
  return 202;
}

serveRpc({
  async start(args: { databaseUrl: string }) {
    const sql = postgres(args.databaseUrl, { max: 10, onnotice: () => {} });
    await sql`CREATE TABLE IF NOT EXISTS bench_baseline_inbox (
      id text PRIMARY KEY, type text NOT NULL, actor text NOT NULL, body jsonb NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now())`;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        handle(req, Buffer.concat(chunks), sql).then(
          (status) => res.writeHead(status, { "content-length": "0" }).end(),
          () => res.writeHead(500, { "content-length": "0" }).end(),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { port: (server.address() as AddressInfo).port };
  },
});
