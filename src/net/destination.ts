import { lookup } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { isPrivateAddress } from "./address.ts";
import { SafeFetchError } from "./safe-fetch-error.ts";

/**
 * Resolves a host name to every address it has. The default asks the system
 * resolver; tests inject a map so "public.test" can stand for a loopback
 * server without touching real DNS.
 */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

export const systemResolveHost: ResolveHost = async (hostname) => {
  const results = await lookup(hostname, { all: true, order: "verbatim" });
  return results.map((r) => r.address);
};

export interface DestinationPolicy {
  readonly allowPrivateAddress: boolean;
  readonly resolve: ResolveHost;
  /**
   * Exact addresses exempt from the private-address check (e.g. a trusted
   * internal relay). Tests use one to let a loopback server play a public host.
   */
  readonly exempt: BlockList;
}

export function exemptList(addresses: readonly string[] = []): BlockList {
  const list = new BlockList();
  for (const address of addresses) {
    const family = isIP(address);
    if (family === 0) throw new TypeError(`Not an IP address: ${address}`);
    list.addAddress(address, family === 6 ? "ipv6" : "ipv4");
  }
  return list;
}

const ALLOWED_SCHEMES = new Set(["http:", "https:"]);

export function assertHttpScheme(url: URL): void {
  if (!ALLOWED_SCHEMES.has(url.protocol)) {
    throw new SafeFetchError(
      "scheme",
      url.href,
      `Refused ${url.protocol} URL (only http and https)`,
    );
  }
}

/**
 * The addresses a request to `url` may connect to: the literal IP of the URL,
 * or every address its host name resolves to. Refuses the whole destination if
 * any address is non-public — a name that resolves to both a public and a
 * private address is a classic rebinding trick. The returned list is what the
 * connection is pinned to (see `pinnedLookup`), so nothing is resolved twice.
 */
export async function resolveDestination(
  url: URL,
  policy: DestinationPolicy,
  signal?: AbortSignal,
): Promise<readonly string[]> {
  assertHttpScheme(url);
  // WHATWG URL has already turned 0x7f000001, 2130706433, 0177.0.0.1 into
  // 127.0.0.1 and compressed IPv6; only the brackets need removing.
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: readonly string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await abortable(policy.resolve(host), signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new SafeFetchError("dns", url.href, `Could not resolve ${host}`, { cause: error });
    }
    if (addresses.length === 0) {
      throw new SafeFetchError("dns", url.href, `No address for ${host}`);
    }
  }
  for (const address of addresses) {
    const family = isIP(address);
    const exempt = family !== 0 && policy.exempt.check(address, family === 6 ? "ipv6" : "ipv4");
    if (family === 0 || (!policy.allowPrivateAddress && !exempt && isPrivateAddress(address))) {
      throw new SafeFetchError(
        "private-address",
        url.href,
        `Refused non-public address ${address} for ${host}`,
      );
    }
  }
  return addresses;
}

/**
 * A `lookup` for `net.connect` that answers only with the already-checked
 * addresses, so a DNS answer that changes between check and connect (DNS
 * rebinding) cannot redirect the socket.
 */
export function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIP(address) }));
  return (hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const usable = wanted === 0 ? entries : entries.filter((e) => e.family === wanted);
    const first = usable[0];
    if (first === undefined) {
      const error: NodeJS.ErrnoException = new Error(`No pinned address for ${hostname}`);
      error.code = "ENOTFOUND";
      callback(error, "", 0);
    } else if (options.all) {
      callback(null, usable);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
