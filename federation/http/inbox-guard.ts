import type { Federation } from "@fedify/fedify";
import { isActor } from "@fedify/vocab";
import { domainOf } from "../../src/remote/remote-actor.service.ts";
import type { HavenContext } from "../context.ts";
import { actorIsGone, isSelfDelete } from "../inbox/gone-actor.ts";
import { signedLoader } from "../inbox/loader.ts";
import { BodyTooLargeError, MAX_INBOX_BODY_BYTES, readCapped } from "./body-limit.ts";
import {
  DefaultContextRequest,
  lacksActivityStreamsContext,
  withActivityStreamsContext,
} from "./default-context.ts";
import type { GuardedInboxPost } from "./inbox-fast-path.ts";
import { KeyListingCache } from "./key-listing-cache.ts";
import { signatureCoverageProblem } from "./signature-coverage.ts";
import { signatureKeyId } from "./signature-key-id.ts";

/** One cache per federation (per Haven instance), so test instances stay apart. */
const listingCaches = new WeakMap<Federation<HavenContext>, KeyListingCache>();

/** A passed request carries its bytes and parsed activity along, for the fast path. */
export type GuardResult = ({ ok: true } & GuardedInboxPost) | { ok: false; response: Response };

const json = (status: number, error: string) =>
  Response.json({ error }, { status, headers: { "Cache-Control": "no-store" } });

/**
 * The activity's one actor, or why there is not exactly one. A one-element
 * array is that actor (JSON-LD does not tell `[x]` from `x`). Several actors
 * are refused: the signature proves one of them, and Mastodon, which reads
 * `actor` as one id or object, fails on an array after answering 202.
 */
function actorIdOf(activity: unknown): URL | string {
  if (typeof activity !== "object" || activity === null) return "activity has no actor";
  let actor = (activity as { actor?: unknown }).actor;
  if (Array.isArray(actor)) {
    if (actor.length > 1) {
      return `activity has ${actor.length} actors; exactly one is required (the signer)`;
    }
    actor = actor[0];
  }
  const raw =
    typeof actor === "string"
      ? actor
      : typeof actor === "object" && actor !== null
        ? (actor as { id?: unknown }).id
        : undefined;
  if (typeof raw !== "string") return "activity has no actor";
  try {
    return new URL(raw);
  } catch {
    return "activity's actor is not a URL";
  }
}

/**
 * Checks made before Fedify sees an inbox POST, covering fixes Fedify 2.3.6
 * lacks (SECURITY.md): the body is capped before parsing; nothing from a
 * blocked domain or account is processed, and no request (not even for its
 * key) goes out to it; the signature must cover the host, target, date and digest
 * (see signature-coverage.ts); and the signing key must be listed by the activity's actor
 * document itself (GHSA-q9f8-5hc7-898f: a key document's `owner` claim alone
 * is not proof).
 */
export async function guardInbox(
  federation: Federation<HavenContext>,
  contextData: HavenContext,
  request: Request,
): Promise<GuardResult> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_INBOX_BODY_BYTES) {
    return { ok: false, response: json(413, `activity larger than ${MAX_INBOX_BODY_BYTES} bytes`) };
  }
  let body: Uint8Array<ArrayBuffer>;
  try {
    body = await readCapped(request.body, MAX_INBOX_BODY_BYTES);
  } catch (e) {
    if (e instanceof BodyTooLargeError) {
      return { ok: false, response: json(413, `activity larger than ${e.limit} bytes`) };
    }
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { ok: false, response: json(400, "body is not valid JSON") };
  }
  // What the fast path queues and Fedify reads: with the ActivityStreams context.
  const activity = withActivityStreamsContext(parsed);
  const actorId = actorIdOf(activity);
  if (typeof actorId === "string") return { ok: false, response: json(400, actorId) };
  const keyId = signatureKeyId(request.headers);
  if (keyId === null) return { ok: false, response: json(401, "request is not signed") };
  const coverage = signatureCoverageProblem(request.headers, contextData.config.publicUrl);
  if (coverage !== null) return { ok: false, response: json(401, coverage) };

  // The one policy decides from the ids alone, before any fetch: a suspended
  // (or, in allowlist mode, unlisted) domain, or a blocked account.
  const decisions = await Promise.all([
    contextData.moderation.decideForActor(actorId.href),
    contextData.moderation.decideForDomain(domainOf(keyId.href)),
  ]);
  if (decisions.some((d) => d.action === "reject")) {
    return { ok: false, response: json(403, "this server does not federate with you") };
  }

  const keyDocument = new URL(keyId.href);
  keyDocument.hash = "";
  if (keyDocument.href !== actorId.href) {
    // The key lives in a separate document: the actor must list it.
    const cache = listingCaches.get(federation) ?? new KeyListingCache();
    listingCaches.set(federation, cache);
    let listed = cache.get(actorId.href, keyId.href);
    if (listed === undefined) {
      const ctx = federation.createContext(request, contextData);
      const actor = await ctx.lookupObject(actorId, await signedLoader(ctx)).catch(() => null);
      listed =
        isActor(actor) &&
        actor.id?.href === actorId.href &&
        [...actor.publicKeyIds, ...actor.assertionMethodIds].some((k) => k.href === keyId.href);
      cache.set(actorId.href, keyId.href, listed);
    }
    // A deleted GoToSocial account: its actor and key both answer 410. Let
    // its self-Delete through; Fedify then cannot fetch the key either, and
    // onUnverifiedActivity (inbox/gone-actor.ts) confirms the 410 again.
    if (!listed && isSelfDelete(activity as Record<string, unknown>)) {
      const ctx = federation.createContext(request, contextData);
      listed = await actorIsGone(ctx, actorId);
    }
    if (!listed) {
      return {
        ok: false,
        response: json(401, "signing key is not listed by the activity's actor"),
      };
    }
  }
  const init = { method: "POST", headers: request.headers, body };
  // An activity's id must live on its actor's server. Fedify remembers
  // processed ids, so a forged activity under someone else's predictable id
  // (e.g. Mastodon's `<status>#delete`) would make their real one be skipped.
  const activityId = (activity as { id?: unknown }).id;
  if (activityId !== undefined) {
    let idHost: string | null = null;
    try {
      idHost = typeof activityId === "string" ? new URL(activityId).host : null;
    } catch {}
    if (idHost !== actorId.host) {
      return { ok: false, response: json(400, "activity id must be on the actor's server") };
    }
  }
  return {
    ok: true,
    body,
    activity,
    actorId,
    request: lacksActivityStreamsContext(parsed)
      ? new DefaultContextRequest(request.url, init)
      : new Request(request.url, init),
  };
}
