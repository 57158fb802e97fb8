import { isIPv4, isIPv6 } from "node:net";

/**
 * Whether an IP address must never be contacted on behalf of a remote party
 * (SSRF, SECURITY.md tests 20–21): loopback, private, link-local, CGNAT,
 * documentation, benchmarking, multicast, reserved, and every IPv6 form that
 * embeds or tunnels one of those.
 *
 * Fails closed: anything that is not a canonical IPv4 dotted quad or a valid
 * IPv6 address (optionally in `[brackets]`) counts as private, so a caller
 * that forgets to resolve a hostname is refused rather than waved through.
 *
 * The lists follow the IANA special-purpose address registries, Mastodon's
 * `PrivateAddressCheck` and Fedify's `validatePublicUrl` (2.3.x).
 */
export function isPrivateAddress(ip: string): boolean {
  const bracketed = ip.startsWith("[") && ip.endsWith("]");
  const address = (bracketed ? ip.slice(1, -1) : ip).toLowerCase();
  // A zone id (`fe80::1%eth0`) only exists on scoped, non-global addresses.
  if (address.includes("%")) return true;
  if (!bracketed && isIPv4(address)) return isPrivateIPv4(parseIPv4(address));
  if (!isIPv6(address)) return true;
  const words = parseIPv6(address);
  if (words === null) return true;
  return isPrivateIPv6(words);
}

/** IPv4 ranges that are not globally reachable (RFC 6890 and successors). */
const PRIVATE_IPV4: ReadonlyArray<readonly [string, number]> = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // CGNAT, RFC 6598
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // TEST-NET-1
  ["192.88.99.0", 24], // deprecated 6to4 relay anycast
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // TEST-NET-2
  ["203.0.113.0", 24], // TEST-NET-3
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, includes 255.255.255.255 broadcast
];

const PRIVATE_IPV4_RANGES = PRIVATE_IPV4.map(([base, bits]) => ({
  base: parseIPv4(base),
  bits,
}));

function isPrivateIPv4(address: number): boolean {
  return PRIVATE_IPV4_RANGES.some(({ base, bits }) => sameIPv4Prefix(address, base, bits));
}

function sameIPv4Prefix(a: number, b: number, bits: number): boolean {
  const block = 2 ** (32 - bits);
  return Math.floor(a / block) === Math.floor(b / block);
}

/** `a.b.c.d` (already validated by `isIPv4`) as an unsigned 32-bit number. */
function parseIPv4(address: string): number {
  return address.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

function ipv4FromWords(high: number, low: number): number {
  return high * 65536 + low;
}

function isPrivateIPv6(w: readonly number[]): boolean {
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = w;
  const upper64Zero = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0;
  if (upper64Zero && w4 === 0) {
    // ::ffff:a.b.c.d (IPv4-mapped): exactly as private as the IPv4 address.
    if (w5 === 0xffff) return isPrivateIPv4(ipv4FromWords(w6, w7));
    // ::/96 — unspecified, loopback, deprecated IPv4-compatible ::a.b.c.d,
    // and ::ffff:0:a.b.c.d (IPv4-translated): none is a public destination.
    return true;
  }
  if (upper64Zero) return true; // rest of ::/64 is unassigned
  // NAT64 well-known prefix 64:ff9b::/96 reaches the embedded IPv4 address.
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) {
    return isPrivateIPv4(ipv4FromWords(w6, w7));
  }
  // Only 2000::/3 is global unicast. Everything else — fc00::/7 unique local,
  // fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast,
  // 64:ff9b:1::/48 local NAT64, 100::/64 discard, 5f00::/16 SRv6 — is refused.
  if (w0 < 0x2000 || w0 > 0x3fff) return true;
  // 2001::/23: IETF protocol assignments, incl. Teredo 2001::/32 (tunnels to an
  // obfuscated IPv4 peer), benchmarking 2001:2::/48 and ORCHID.
  if (w0 === 0x2001 && w1 < 0x200) return true;
  if (w0 === 0x2001 && w1 === 0xdb8) return true; // documentation
  if (w0 === 0x3fff && w1 < 0x1000) return true; // 3fff::/20 documentation (RFC 9637)
  // 6to4 2002::/16 routes to the IPv4 address in bits 16–47.
  if (w0 === 0x2002) return isPrivateIPv4(ipv4FromWords(w1, w2));
  return false;
}

/** Eight 16-bit words of a valid (already `isIPv6`-checked) address. */
function parseIPv6(address: string): number[] | null {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    if (!isIPv4(last)) return null;
    const v4 = parseIPv4(last);
    tail.push(Math.floor(v4 / 65536), v4 % 65536);
    text = `${text.slice(0, lastColon + 1)}0`; // placeholder, dropped below
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const toWords = (part: string | undefined): number[] =>
    part === undefined || part === "" ? [] : part.split(":").map((h) => Number.parseInt(h, 16));
  let head = toWords(halves[0]);
  let rest = halves.length === 2 ? toWords(halves[1]) : [];
  if (tail.length > 0) {
    // Replace the placeholder word with the two words of the dotted quad.
    if (halves.length === 2) rest = [...rest.slice(0, -1), ...tail];
    else head = [...head.slice(0, -1), ...tail];
  }
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const words = [...head, ...new Array<number>(Math.max(missing, 0)).fill(0), ...rest];
  return words.length === 8 && words.every((x) => x >= 0 && x <= 0xffff) ? words : null;
}
