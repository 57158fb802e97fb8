import { domainOf } from "../../src/remote/remote-actor.service.ts";
import type { ModerationGate } from "../context.ts";

/**
 * Whether media (attachments, avatars, headers, thumbnails) from `urlOrHost`
 * may be downloaded or proxied: not from a rejected domain, nor from one
 * blocked with `reject_media`. Haven downloads no remote media today; any
 * code that starts to must ask this first.
 */
export async function shouldFetchMedia(
  moderation: ModerationGate,
  urlOrHost: string | URL,
): Promise<boolean> {
  let host: string;
  try {
    host =
      typeof urlOrHost === "string" && !urlOrHost.includes("/")
        ? urlOrHost
        : domainOf(new URL(urlOrHost).href);
  } catch {
    return false;
  }
  const decision = await moderation.decideForDomain(host);
  return decision.action !== "reject" && !decision.rejectMedia;
}
