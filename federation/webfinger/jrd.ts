/** A WebFinger link as Fedify 2.3.6 writes it (`type` left out when unknown). */
export interface JrdLink {
  rel: string;
  href: string;
  type?: string;
}

export interface Jrd {
  subject: string;
  aliases: string[];
  links: JrdLink[];
}

export const PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page";
export const AVATAR_REL = "http://webfinger.net/rel/avatar";

/**
 * `subject` and `aliases`, ported line by line from Fedify 2.3.6
 * (`getWebFingerSubjectAndAliases`, src/federation/webfinger.ts) so the
 * answer is the one Fedify gave. `host` is PUBLIC_URL's host, `contextHost`
 * the request's.
 */
export function subjectAndAliases(args: {
  resourceUrl: URL;
  actorUri: URL;
  preferredUsername: string;
  acctUsername: string | null;
  host: string;
  contextHost: string;
}): { subject: string; aliases: string[] } {
  const { resourceUrl, actorUri, preferredUsername, acctUsername, host, contextHost } = args;
  const aliases: string[] = [];
  let subject = resourceUrl.href;
  if (resourceUrl.protocol !== "acct:") {
    aliases.push(`acct:${preferredUsername}@${host}`);
    if (host !== contextHost) aliases.push(`acct:${preferredUsername}@${contextHost}`);
  }
  if (resourceUrl.href !== actorUri.href) aliases.push(actorUri.href);
  if (
    resourceUrl.protocol === "acct:" &&
    host !== contextHost &&
    !resourceUrl.href.endsWith(`@${host}`)
  ) {
    subject = `acct:${preferredUsername || acctUsername}@${host}`;
    aliases.push(resourceUrl.href);
    if (preferredUsername !== "" && preferredUsername !== acctUsername) {
      aliases.push(`acct:${preferredUsername}@${contextHost}`);
    }
  }
  return { subject, aliases };
}

/** Fedify's guess from the avatar URL (federation/objects/actor.ts `guessImageType`). */
export function avatarMediaType(url: string): string {
  if (/\.png$/i.test(url)) return "image/png";
  if (/\.webp$/i.test(url)) return "image/webp";
  return "image/jpeg";
}
