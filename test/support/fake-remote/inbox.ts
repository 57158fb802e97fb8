import type { IncomingMessage, ServerResponse } from "node:http";
import { lowerCaseHeaders, verifyRequest } from "../http-signatures.ts";
import { peertubeActivityProblems } from "../peertube-activity-check.ts";
import { parseJsonObject } from "./http-client.ts";
import { type RemoteState, requestTarget } from "./state.ts";
import type { Delivery, InboxAttempt } from "./types.ts";

// Mastodon refuses inbox bodies over 1 MB.
const MAX_BODY = 1024 * 1024;

export interface InboxTarget {
  inbox: "shared" | "personal";
  actorUsername?: string;
}

/** Read the body, apply any injected fault, verify like Mastodon/PeerTube, record, answer. */
export async function handleInbox(
  state: RemoteState,
  req: IncomingMessage,
  res: ServerResponse,
  target: InboxTarget,
): Promise<void> {
  const receivedAt = new Date();
  const bytes = await readBody(req);
  const path = req.url ?? "/";
  const attempt: InboxAttempt = {
    path,
    ...target,
    headers: lowerCaseHeaders(req.headers),
    raw: bytes?.toString("utf8") ?? "",
    attemptNumber: state.log.nextAttemptNumber(),
    receivedAt,
    injected: false,
  };
  state.log.recordAttempt(attempt);
  if (bytes === null) {
    attempt.status = 413;
    res.writeHead(413).end();
    return;
  }

  const override = await state.behaviour?.(attempt);
  if (override) {
    if ("hang" in override) {
      attempt.injected = true;
      return; // never answered; close() destroys the socket
    }
    if (override.delayMs) await new Promise((r) => setTimeout(r, override.delayMs));
    if ("status" in override) {
      attempt.injected = true;
      attempt.status = override.status;
      res.writeHead(override.status, override.headers).end(override.body);
      return;
    }
  }

  const delivery = await verifyDelivery(state, req, attempt, bytes);
  attempt.status = delivery.status;
  state.log.record(delivery);
  res.writeHead(delivery.status).end();
}

async function verifyDelivery(
  state: RemoteState,
  req: IncomingMessage,
  attempt: InboxAttempt,
  bytes: Buffer,
): Promise<Delivery> {
  const body = parseJsonObject(attempt.raw);
  const base = {
    path: attempt.path,
    inbox: attempt.inbox,
    ...(attempt.actorUsername ? { actorUsername: attempt.actorUsername } : {}),
    headers: attempt.headers,
    body,
    raw: attempt.raw,
    attemptNumber: attempt.attemptNumber,
    receivedAt: attempt.receivedAt,
  };
  const result = await verifyRequest({
    method: req.method ?? "POST",
    path: requestTarget(state.kind, attempt.path),
    headers: attempt.headers,
    body: bytes,
    fetchKey: state.client.fetchKey,
    maxSkewSeconds: state.maxSkewSeconds,
  });
  if (!result.ok) {
    return { ...base, verified: false, reason: result.reason, detail: result.detail, status: 401 };
  }
  const signer = { keyId: result.keyId, owner: result.owner };
  if (!body) {
    return { ...base, verified: false, reason: "invalid-json", detail: "", signer, status: 400 };
  }
  // The signer must be the activity's actor (Mastodon would otherwise need an LD signature,
  // which Haven does not make).
  const actor =
    typeof body.actor === "object" && body.actor !== null
      ? (body.actor as { id?: unknown }).id
      : body.actor;
  if (actor !== result.owner) {
    const detail = `signed by ${result.owner}, actor is ${String(actor)}`;
    return { ...base, verified: false, reason: "actor-mismatch", detail, signer, status: 401 };
  }
  // Mastodon answers 202 Accepted, PeerTube 204 No Content — and then drops
  // what its validators refuse.
  if (state.kind === "peertube") {
    return {
      ...base,
      verified: true,
      signer,
      status: 204,
      peertubeProblems: peertubeActivityProblems(body),
    };
  }
  return { ...base, verified: true, signer, status: 202 };
}

/** The body, or null when it is larger than MAX_BODY. */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
