import type { IncomingMessage, ServerResponse } from "node:http";
import { verifyRequest } from "../http-signatures.ts";
import {
  actorDocument,
  emptyCollection,
  keyDocument,
  nodeInfoDocument,
  nodeInfoLinks,
  nodeInfoPath,
  webFingerDocument,
} from "./documents.ts";
import { handleInbox } from "./inbox.ts";
import { allActors, type RemoteState, requestTarget } from "./state.ts";
import type { JsonObject } from "./types.ts";

const AP_TYPE = "application/activity+json; charset=utf-8";

/** The fake instance's HTTP surface: WebFinger, NodeInfo, actors, objects, inboxes. */
export function createRequestHandler(state: RemoteState) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    route(state, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(`fake remote error: ${(error as Error).message}`);
    });
  };
}

async function route(state: RemoteState, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", state.origin);
  const path = url.pathname;
  state.incoming.push({
    method: req.method ?? "GET",
    url: url.href,
    signed: req.headers.signature !== undefined || req.headers["signature-input"] !== undefined,
    receivedAt: new Date(),
  });
  const json = (status: number, body: unknown, type = "application/json; charset=utf-8") => {
    res.writeHead(status, { "Content-Type": type }).end(JSON.stringify(body));
  };

  if (req.method === "POST") {
    if (
      state.instanceActor.sharedInbox &&
      path === new URL(state.instanceActor.sharedInbox).pathname
    ) {
      return handleInbox(state, req, res, { inbox: "shared" });
    }
    const owner = allActors(state).find((a) => new URL(a.inbox).pathname === path);
    if (owner)
      return handleInbox(state, req, res, { inbox: "personal", actorUsername: owner.username });
    return json(404, { error: "Not found" });
  }
  if (req.method !== "GET" && req.method !== "HEAD")
    return json(405, { error: "Method not allowed" });

  if (path === "/.well-known/webfinger") {
    const resource = url.searchParams.get("resource");
    if (!resource) return json(400, { error: "resource is required" });
    const actor = allActors(state).find(
      (a) => `acct:${a.acct}` === resource || a.id === resource || a.url === resource,
    );
    if (!actor) return json(404, { error: "Not found" });
    return json(200, webFingerDocument(actor, state.kind), "application/jrd+json; charset=utf-8");
  }
  const nodeInfoDown = state.nodeInfoStatus;
  if (
    nodeInfoDown !== undefined &&
    (path === "/.well-known/nodeinfo" || path === nodeInfoPath(state.kind))
  ) {
    return json(nodeInfoDown, { error: "NodeInfo unavailable" });
  }
  if (path === "/.well-known/nodeinfo") return json(200, nodeInfoLinks(state.kind, state.origin));
  if (path === nodeInfoPath(state.kind)) {
    const type = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"';
    return json(200, nodeInfoDocument(state.kind, state.actors.size), type);
  }

  const full = `${state.origin}${path}`;
  const gone = state.removed.get(full);
  if (gone !== undefined) return json(gone, { error: gone === 410 ? "Gone" : "Not found" });
  const actors = allActors(state);
  // A key at its own path (GoToSocial) is public, as is the instance actor: other servers must
  // be able to verify this instance's signatures without signing themselves.
  const keyOwner = actors.find((a) => a.keyId === full);
  if (keyOwner) return json(200, keyDocument(keyOwner), AP_TYPE);
  const actor = actors.find((a) => a.id === full);
  if (actor === state.instanceActor) return json(200, actorDocument(state.kind, actor), AP_TYPE);

  let doc: JsonObject | undefined;
  if (actor) doc = actorDocument(state.kind, actor);
  else if (actors.some((a) => [a.outbox, a.followers, a.following].includes(full))) {
    doc = emptyCollection(full);
  } else doc = state.objects.get(full);
  if (!doc) return json(404, { error: "Not found" });

  if (state.authorizedFetch) {
    const result = await verifyRequest({
      method: "GET",
      path: requestTarget(state.kind, req.url ?? "/"),
      headers: req.headers,
      fetchKey: state.client.fetchKey,
      maxSkewSeconds: state.maxSkewSeconds,
    });
    if (!result.ok) return json(401, { error: `${result.reason}: ${result.detail}` });
  }
  return json(200, doc, AP_TYPE);
}
