import { coveringDomains } from "./domain.ts";
import { type BlockRule, stricterThan } from "./types.ts";

type Strictness = Pick<BlockRule, "severity" | "rejectMedia" | "rejectReports">;

/**
 * Mastodon's rule for a block under a blocked parent (`DomainBlock.rule_for`
 * + `stricter_than?`): refused when the nearest blocked parent already
 * restricts at least as much, since the child block would add nothing.
 * The one rule for the admin API, the CLI and the importer; returns that
 * parent, or null when the block may be made.
 */
export function refusingParent<T extends Strictness>(
  lookup: (domain: string) => T | null | undefined,
  domain: string,
  rule: Strictness,
): { readonly domain: string; readonly block: T } | null {
  for (const parent of coveringDomains(domain).slice(1)) {
    const block = lookup(parent);
    if (block) return stricterThan(rule, block) ? null : { domain: parent, block };
  }
  return null;
}
