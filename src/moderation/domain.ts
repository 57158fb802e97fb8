import { isIPv4, isIPv6 } from "node:net";
import { domainToASCII } from "node:url";

export type DomainKind = "dns" | "ipv4" | "ipv6";

export type NormalizedDomain =
  | { readonly ok: true; readonly domain: string; readonly kind: DomainKind }
  | { readonly ok: false; readonly message: string };

const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
/** Mastodon's DomainValidator: letters, digits and hyphens per label. */
const LABEL = /^[a-z0-9-]+$/;
/** Characters no host name contains; `domainToASCII` would silently cut or decode them. */
const FORBIDDEN = /[\s/\\%?#@*<>[\]|^"'`{}!$&()+,;=~]/u;
const PLAIN_ASCII = /^[a-z0-9.-]+$/;
/** The last label WHATWG would read as a number, turning the host into an IPv4 address. */
const NUMERIC_LABEL = /^(0x[0-9a-f]*|[0-9]+)$/i;

const fail = (input: string, reason: string): NormalizedDomain => ({
  ok: false,
  message: `"${input}" is not a valid domain: ${reason}`,
});

/**
 * The one spelling of a domain that policy, storage and matching use:
 * lower-case, IDN as punycode (`bücher.example` → `xn--bcher-kva.example`),
 * no port, no trailing dot (`EXAMPLE.com.` = `example.com`). IPv4 literals
 * stay dotted quads; IPv6 literals are compressed, without brackets (the way
 * `remote_actors.domain` stores them). `*.example.com` means `example.com`
 * because a block covers subdomains anyway. Anything else that is not a
 * host name is refused with a message an admin can act on.
 */
export function normalizeDomain(raw: string): NormalizedDomain {
  let s = raw.trim();
  if (s === "") return { ok: false, message: "The domain is empty" };
  if (s.includes("://")) {
    return fail(raw, "this looks like a URL; give only the host name, e.g. example.com");
  }
  if (s.endsWith("/")) s = s.slice(0, -1); // Mastodon's normalize_domain does the same

  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(s);
  if (bracketed) {
    return isIPv6(bracketed[1]!) ? ipv6(bracketed[1]!) : fail(raw, "not an IPv6 address");
  }
  if (isIPv6(s)) return ipv6(s);

  const port = /^(.*):(\d{1,5})$/.exec(s);
  if (port) {
    if (Number(port[2]) > 65_535) return fail(raw, `port ${port[2]} is out of range`);
    s = port[1]!;
  }
  if (s.includes(":")) return fail(raw, 'a ":" may only separate a port number');
  if (s.startsWith("*.")) s = s.slice(2);
  if (s.includes("*")) {
    return fail(raw, "it contains *, as obfuscated entries in public blocklists do");
  }
  if (s.includes("@")) {
    return fail(raw, "this looks like an account address; block the account or use its domain");
  }
  const bad = FORBIDDEN.exec(s);
  if (bad) return fail(raw, `it contains the character "${bad[0]}"`);
  if (s.endsWith(".")) s = s.slice(0, -1);
  if (s === "") return fail(raw, "nothing is left of it");

  if (isIPv4(s)) return { ok: true, domain: s, kind: "ipv4" };
  const labels = s.split(".");
  if (labels.some((label) => label === "")) return fail(raw, "it has an empty label (..)");
  if (NUMERIC_LABEL.test(labels.at(-1)!)) {
    return fail(raw, "it ends in a number but is not an IPv4 address like 192.0.2.1");
  }

  // Already lower-case ASCII without punycode: nothing for domainToASCII to
  // do, and it is the costly step for a 50,000-line list.
  const lower = s.toLowerCase();
  const ascii = PLAIN_ASCII.test(lower) && !lower.includes("xn--") ? lower : domainToASCII(lower);
  if (ascii === "") return fail(raw, "it cannot be converted to an ASCII (punycode) host name");
  if (ascii.length > MAX_DOMAIN_LENGTH) {
    return fail(raw, `it is longer than ${MAX_DOMAIN_LENGTH} characters`);
  }
  for (const label of ascii.split(".")) {
    if (label.length > MAX_LABEL_LENGTH) {
      return fail(raw, `the label "${label}" is longer than ${MAX_LABEL_LENGTH} characters`);
    }
    if (!LABEL.test(label)) {
      return fail(raw, `the label "${label}" may only contain letters, digits and hyphens`);
    }
    if (label.startsWith("-") || label.endsWith("-")) {
      return fail(raw, `the label "${label}" starts or ends with a hyphen`);
    }
  }
  return { ok: true, domain: ascii, kind: "dns" };
}

function ipv6(address: string): NormalizedDomain {
  // The URL parser compresses and lower-cases (`::FFFF:1.2.3.4` → `::ffff:102:304`).
  const host = new URL(`http://[${address}]/`).hostname;
  return { ok: true, domain: host.slice(1, -1), kind: "ipv6" };
}

/**
 * The domain itself and every parent that could hold a rule covering it,
 * most specific first: `a.b.example` → `a.b.example`, `b.example`, `example`.
 * IP literals only ever match themselves.
 */
export function coveringDomains(domain: string): string[] {
  if (domain.includes(":") || isIPv4(domain)) return [domain];
  const out: string[] = [];
  let rest = domain;
  for (;;) {
    out.push(rest);
    const dot = rest.indexOf(".");
    if (dot === -1) return out;
    rest = rest.slice(dot + 1);
  }
}

/** Whether `domain` is `parent` or one of its subdomains (both normalised). */
export function isSameOrSubdomain(domain: string, parent: string): boolean {
  if (domain === parent) return true;
  if (parent.includes(":") || isIPv4(parent)) return false;
  return domain.endsWith(`.${parent}`);
}

/**
 * The host of an actor IRI or any URL, normalised; `null` when it has none.
 * Cheap enough for the hot path: `URL` already lower-cases and punycodes.
 */
export function domainOfUrl(iri: string): string | null {
  let url: URL;
  try {
    url = new URL(iri);
  } catch {
    return null;
  }
  if (url.hostname === "") return null;
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return host.endsWith(".") ? host.slice(0, -1) : host;
}
