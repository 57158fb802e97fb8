import { isIPv4 } from "node:net";
import { parse } from "tldts";

/**
 * Why blocking `domain` (normalised) would reach far beyond one server, or
 * null. A block covers every subdomain, so a block on `uk` or `co.uk` blocks
 * every site registered under it, and one on a shared-hosting suffix
 * (`github.io`) blocks every customer's site. The Public Suffix List comes
 * bundled with `tldts` (no network at run time); it is as current as the
 * installed package.
 */
export function publicSuffixReason(domain: string): string | null {
  if (domain.includes(":") || isIPv4(domain)) return null;
  if (!domain.includes(".")) {
    return `${domain} is a top-level domain: blocking it blocks every site whose name ends in .${domain}`;
  }
  const info = parse(domain, { allowPrivateDomains: true, extractHostname: false });
  if (info.publicSuffix !== domain) return null;
  if (info.isPrivate) {
    return `${domain} is a shared hosting suffix (Public Suffix List, private section): blocking it blocks every site under it, each run by someone else`;
  }
  return `${domain} is a public suffix: blocking it blocks every site registered under it`;
}
