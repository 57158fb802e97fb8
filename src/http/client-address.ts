import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { Context } from "hono";

/** `::ffff:1.2.3.4` is IPv4: count it as such. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m ? m[1]! : address;
}

/** The first four groups of an IPv6 address, `::` expanded. */
function ipv6Prefix64(address: string): string {
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const h = head ? head.split(":") : [];
  const t = address.includes("::") && tail ? tail.split(":") : [];
  const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill("0"), ...t];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * The key one client's requests are counted under: an IPv4 address, or an
 * IPv6 /64 (one household or phone gets a whole /64, so counting single
 * IPv6 addresses would count nothing).
 */
export function rateLimitKey(address: string): string {
  const a = unmapped(address.trim());
  return isIP(a) === 6 ? ipv6Prefix64(a) : a;
}

/**
 * The client's address: the TCP peer, as the request log records it. With
 * TRUST_PROXY, the last `X-Forwarded-For` entry instead: the one our own
 * proxy appended (earlier entries are whatever the client sent).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const peer = incoming?.socket?.remoteAddress ?? "unknown";
  if (!trustProxy) return peer;
  const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
  return forwarded && isIP(forwarded) ? forwarded : peer;
}
