import type { Context } from "@fedify/fedify";
import type { RemoteAccountResolver } from "../src/http/deps.ts";
import { err, ok } from "../src/lib/result.ts";
import type { SafeFetch } from "../src/net/safe-fetch.ts";
import type { HavenContext } from "./context.ts";
import { fetchRemoteActor } from "./inbox/remote-author.ts";

const ACCT = /^@?([^\s@/]{1,100})@([a-z0-9.-]{1,253}(?::\d{1,5})?)$/i;
const AP_TYPES = [
  "application/activity+json",
  'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
];

/**
 * `user@host` or an actor IRI → the actor as its own server describes it,
 * for the API (trusted accounts). WebFinger goes through the safe fetch
 * (SSRF checks, size cap, never a suspended domain); the actor document is
 * then fetched, signed, like any other actor, and stored.
 */
export function createRemoteAccountResolver(
  ctx: Context<HavenContext>,
  safeFetch: SafeFetch,
  options: { allowPlainHttp: boolean },
): RemoteAccountResolver {
  async function webFinger(user: string, host: string): Promise<string | null> {
    const resource = encodeURIComponent(`acct:${user}@${host}`);
    // Plain http only where private addresses are allowed (tests, closed networks).
    const schemes = options.allowPlainHttp ? ["https", "http"] : ["https"];
    for (const scheme of schemes) {
      try {
        const { response } = await safeFetch(
          `${scheme}://${host}/.well-known/webfinger?resource=${resource}`,
          { headers: { Accept: "application/jrd+json, application/json" } },
        );
        if (!response.ok) continue;
        const jrd = (await response.json()) as {
          links?: { rel?: string; type?: string; href?: string }[];
        };
        const self = jrd.links?.find(
          (l) => l.rel === "self" && typeof l.href === "string" && AP_TYPES.includes(l.type ?? ""),
        );
        if (self?.href) return self.href;
      } catch {
        // Unreachable over this scheme: try the next.
      }
    }
    return null;
  }

  return {
    async resolve(input) {
      let iri: string | null;
      if ("account" in input) {
        const m = ACCT.exec(input.account.trim());
        if (!m) return err("invalid", "account must look like user@host");
        if (m[2]!.toLowerCase() === ctx.canonicalOrigin.replace(/^https?:\/\//, "").toLowerCase()) {
          return err(
            "invalid",
            "account must be on another server (members of this one are not replies)",
          );
        }
        iri = await webFinger(m[1]!, m[2]!);
        if (!iri) return err("unprocessable", `no ActivityPub account found for ${input.account}`);
      } else {
        iri = input.actorId.trim();
      }
      let url: URL;
      try {
        url = new URL(iri);
      } catch {
        return err("invalid", "actor_id must be an https:// IRI");
      }
      if (url.origin === ctx.canonicalOrigin)
        return err("invalid", "actor_id must be on another server");
      const actor = await fetchRemoteActor(ctx, url);
      if (!actor) return err("unprocessable", `the actor ${url.href} could not be fetched`);
      return ok({ iri: actor.iri, acct: actor.handle });
    },
  };
}
