import type { SafeFetch, SafeFetchInit } from "../../src/net/safe-fetch.ts";
import { domainOf } from "../../src/remote/remote-actor.service.ts";
import type { ModerationGate } from "../context.ts";

/** Thrown before connecting to a host the federation policy rejects. */
export class FederationRefusedError extends Error {
  override readonly name = "FederationRefusedError";
  constructor(readonly url: string) {
    super(`Refused to fetch from a domain this server does not federate with: ${url}`);
  }
}

/**
 * The fetcher the ActivityPub document loaders use: the SSRF-safe one, but
 * refusing any hop — the first request and every redirect — to a host the
 * policy rejects (suspended, or unlisted in allowlist mode). So no lookup of
 * an actor, key or object ever reaches a blocked domain, whoever asks.
 */
export function refuseSuspendedHosts(safeFetch: SafeFetch, moderation: ModerationGate): SafeFetch {
  const check = async (url: string) => {
    let host: string;
    try {
      host = domainOf(url);
    } catch {
      return; // not a URL: the safe fetch refuses it with its own error
    }
    const decision = await moderation.decideForDomain(host);
    if (decision.action === "reject") throw new FederationRefusedError(url);
  };
  const guarded = async (input: string | URL, init: SafeFetchInit = {}) => {
    await check(typeof input === "string" ? input : input.href);
    const prepare = init.prepareRequest;
    return safeFetch(input, {
      ...init,
      // Called for each hop before it is sent (after the address check).
      prepareRequest: async (request) => {
        await check(request.url);
        return prepare ? prepare(request) : request;
      },
    });
  };
  return Object.assign(guarded, {
    validate: (url: string | URL, signal?: AbortSignal) => safeFetch.validate(url, signal),
    close: () => safeFetch.close(),
  });
}
