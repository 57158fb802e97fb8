import type { Federation } from "@fedify/fedify";
import { INSTANCE_ACTOR_HANDLE } from "../../src/actors/handle.ts";
import { domainOf } from "../../src/remote/remote-actor.service.ts";
import type { HavenContext } from "../context.ts";
import { signatureKeyId } from "../http/signature-key-id.ts";
import { signedLoader } from "../inbox/loader.ts";

/** What fetch authorization needs besides the request. */
export interface FetchAuthorizationDeps {
  readonly federation: Federation<HavenContext>;
  readonly contextData: HavenContext;
  /** The instance setting (cached); off means every GET is served as before. */
  readonly enabled: () => Promise<boolean>;
}

/** Actors, their collections, videos and notes: what authorized fetch protects. */
const PROTECTED = /^\/(?:users|videos|notes)\//;
/**
 * The instance actor stays public: remote servers fetch it to verify the
 * signatures we make, including the signed GETs we need from them.
 * WebFinger and NodeInfo are outside PROTECTED for the same reason.
 */
const INSTANCE_ACTOR_PATH = `/users/${INSTANCE_ACTOR_HANDLE}`;
const DRAFT_REQUIRED = ["(request-target)", "host", "date"];

const refuse = (status: 401 | 403, error: string) =>
  Response.json(
    { error },
    {
      status,
      headers: {
        "Cache-Control": "no-store",
        Vary: "Accept, Signature",
        ...(status === 401 ? { "WWW-Authenticate": 'Signature realm="haven"' } : {}),
      },
    },
  );

/**
 * Authorized fetch (Mastodon's secure mode), checked before Fedify answers a
 * GET for ActivityPub JSON: unsigned or badly signed → 401; signed by a key
 * on a domain (or by an actor) the federation policy rejects → 403, decided
 * from the keyId alone so nothing is fetched from a blocked domain. The key
 * must be listed by its owner actor (Fedify 2.3.6 believes a key document's
 * `owner` claim; GHSA-q9f8-5hc7-898f). Returns null when the request may go
 * on. Browsers asking for HTML are not affected: Haven's pages are public.
 */
export async function authorizeFetch(
  request: Request,
  deps: FetchAuthorizationDeps,
): Promise<Response | null> {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const path = new URL(request.url).pathname;
  if (!PROTECTED.test(path) || path === INSTANCE_ACTOR_PATH) return null;
  if (!wantsActivityPub(request.headers.get("accept"))) return null;
  if (!(await deps.enabled())) return null;

  const { moderation, config } = deps.contextData;
  const keyId = signatureKeyId(request.headers);
  if (keyId === null) return refuse(401, "Request not signed");
  const byKeyHost = await moderation.decideForDomain(domainOf(keyId.href));
  if (byKeyHost.action === "reject") return refuse(403, "this server does not federate with you");
  const coverage = getCoverageProblem(request.headers, config.publicUrl.host);
  if (coverage !== null) return refuse(401, coverage);

  const ctx = deps.federation.createContext(request, deps.contextData);
  // Most servers serve keys unsigned (and cached); secure-mode ones need a signed GET.
  const signed = await signedLoader(ctx);
  const key =
    (await ctx.getSignedKey().catch(() => null)) ??
    (await ctx.getSignedKey(signed).catch(() => null));
  if (key?.id == null) return refuse(401, "Verification failed: the signature is invalid");
  const owner = await ctx.getSignedKeyOwner(signed).catch(() => null);
  const keyHref = key.id.href;
  if (
    owner?.id == null ||
    ![...owner.publicKeyIds, ...owner.assertionMethodIds].some((k) => k.href === keyHref)
  ) {
    return refuse(401, "Verification failed: the key is not listed by its owner");
  }
  const byOwner = await moderation.decideForActor(owner.id.href);
  if (byOwner.action === "reject") return refuse(403, "this server does not federate with you");
  return null;
}

/**
 * The same choice Fedify makes (`acceptsJsonLd`): JSON-LD unless HTML is
 * preferred, and only when an ActivityPub or JSON type is acceptable at all.
 */
export function wantsActivityPub(accept: string | null): boolean {
  if (!accept) return false;
  const types = accept
    .split(",")
    .map((part, index) => {
      const [type = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
      const q = params.find((p) => p.startsWith("q="));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { type, quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((t) => t.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index)
    .map((t) => t.type);
  if (types[0] === "text/html" || types[0] === "application/xhtml+xml") return false;
  return types.some(
    (t) =>
      t === "application/activity+json" || t === "application/ld+json" || t === "application/json",
  );
}

/** A signed GET must be addressed to us and cover the target, host and date (draft-cavage). */
function getCoverageProblem(headers: Headers, publicHost: string): string | null {
  if (headers.get("host")?.toLowerCase() !== publicHost.toLowerCase()) {
    return "request is not addressed to this server";
  }
  const cavage = headers.get("signature");
  if (cavage === null || headers.has("signature-input")) return null; // RFC 9421: Fedify checks
  const match = /(?:^|,)\s*headers\s*=\s*"([^"]*)"/i.exec(cavage);
  const signed = new Set((match?.[1] ?? "").toLowerCase().split(/\s+/));
  const missing = DRAFT_REQUIRED.filter((name) => !signed.has(name));
  return missing.length > 0 ? `signature does not cover ${missing.join(", ")}` : null;
}
