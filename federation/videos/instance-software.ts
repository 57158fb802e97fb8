import { getLogger } from "@logtape/logtape";
import { inArray, sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { instanceSoftware } from "../../src/db/schema/index.ts";
import type { SafeFetch } from "../../src/net/safe-fetch.ts";

const logger = getLogger(["haven", "federation", "instance-software"]);

export const UNKNOWN_SOFTWARE = "unknown";

/** NodeInfo schema versions we read (Mastodon and PeerTube link only 2.0). */
const NODEINFO_REL = /^https?:\/\/nodeinfo\.diaspora\.software\/ns\/schema\/(2\.[0-9])$/;
const MAX_NODEINFO_BYTES = 256 * 1024;

export interface InstanceSoftwareOptions {
  readonly db: Db;
  /** Carries the SSRF policy (ALLOW_PRIVATE_ADDRESS), deadline and size caps. */
  readonly safeFetch: SafeFetch;
  /** How long a known answer is trusted. Default 24 h. */
  readonly ttlMs?: number;
  /** How soon an instance whose NodeInfo could not be read is asked again. Default 10 min. */
  readonly failureTtlMs?: number;
  readonly timeoutMs?: number;
}

/**
 * What software a remote instance runs, from its NodeInfo `software.name`,
 * cached per host in `instance_software`. Decides who gets the PeerTube face
 * of a video (INTEROP.md §2). A failure is cached as "unknown" for a short
 * while, so a dead instance costs one lookup per few minutes, not one per
 * delivery.
 */
export class InstanceSoftwareResolver {
  readonly #o: Required<InstanceSoftwareOptions>;
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(options: InstanceSoftwareOptions) {
    this.#o = {
      ttlMs: 24 * 3600_000,
      failureTtlMs: 10 * 60_000,
      timeoutMs: 10_000,
      ...options,
    };
  }

  /** Lower-case `software.name` of the instance serving `actorIri`, or "unknown". */
  async softwareOf(actorIri: string): Promise<string> {
    return (await this.softwareOfMany([actorIri])).get(actorIri) ?? UNKNOWN_SOFTWARE;
  }

  async isPeerTube(actorIri: string): Promise<boolean> {
    return (await this.softwareOf(actorIri)) === "peertube";
  }

  /**
   * `softwareOf` for many actors (or origins) at once: one SELECT for all
   * their hosts; NodeInfo is fetched only for hosts unknown or stale, at most
   * `concurrency` at a time. Keyed by the given IRIs.
   */
  async softwareOfMany(
    actorIris: readonly string[],
    concurrency = 8,
  ): Promise<Map<string, string>> {
    const answers = new Map<string, string>();
    const origins = new Map<string, URL>(); // host → origin
    const hostOf = new Map<string, string>(); // IRI → host
    for (const iri of actorIris) {
      let origin: URL;
      try {
        origin = new URL(new URL(iri).origin);
      } catch {
        answers.set(iri, UNKNOWN_SOFTWARE);
        continue;
      }
      const host = origin.host.toLowerCase();
      hostOf.set(iri, host);
      if (!origins.has(host)) origins.set(host, origin);
    }
    const known = new Map<string, string>();
    if (origins.size > 0) {
      const rows = await this.#o.db
        .select()
        .from(instanceSoftware)
        .where(inArray(instanceSoftware.domain, [...origins.keys()]));
      const now = Date.now();
      for (const row of rows) {
        const ttl = row.software === UNKNOWN_SOFTWARE ? this.#o.failureTtlMs : this.#o.ttlMs;
        if (now - row.fetchedAt.getTime() < ttl) known.set(row.domain, row.software);
      }
    }
    const stale = [...origins].filter(([host]) => !known.has(host));
    for (let i = 0; i < stale.length; i += concurrency) {
      const batch = stale.slice(i, i + concurrency);
      const fetched = await Promise.all(
        batch.map(([host, origin]) => this.#refreshOnce(host, origin)),
      );
      batch.forEach(([host], j) => {
        known.set(host, fetched[j] ?? UNKNOWN_SOFTWARE);
      });
    }
    for (const [iri, host] of hostOf) answers.set(iri, known.get(host) ?? UNKNOWN_SOFTWARE);
    return answers;
  }

  #refreshOnce(host: string, origin: URL): Promise<string> {
    let pending = this.#inFlight.get(host);
    if (!pending) {
      pending = this.#refresh(host, origin).finally(() => this.#inFlight.delete(host));
      this.#inFlight.set(host, pending);
    }
    return pending;
  }

  async #refresh(host: string, origin: URL): Promise<string> {
    let software = UNKNOWN_SOFTWARE;
    let version: string | null = null;
    try {
      ({ software, version } = await this.#fetchNodeInfo(origin));
    } catch (error) {
      logger.info("NodeInfo of {host} unreadable: {error}", { host, error: String(error) });
    }
    await this.#o.db
      .insert(instanceSoftware)
      .values({ domain: host, software, version, fetchedAt: new Date() })
      .onConflictDoUpdate({
        target: instanceSoftware.domain,
        set: { software, version, fetchedAt: sql`now()` },
      });
    return software;
  }

  async #fetchNodeInfo(origin: URL): Promise<{ software: string; version: string | null }> {
    const links = await this.#getJson(new URL("/.well-known/nodeinfo", origin).href);
    const href = pickNodeInfoLink(links);
    if (href === null) throw new Error("no NodeInfo 2.x link");
    const info = await this.#getJson(href);
    const software = (info as { software?: { name?: unknown; version?: unknown } }).software;
    if (typeof software?.name !== "string" || software.name.trim() === "") {
      throw new Error("NodeInfo has no software.name");
    }
    const name = software.name.trim().toLowerCase().slice(0, 100);
    const version = typeof software.version === "string" ? software.version.slice(0, 100) : null;
    return { software: name, version };
  }

  async #getJson(url: string): Promise<unknown> {
    const { response } = await this.#o.safeFetch(url, {
      headers: { accept: "application/json" },
      timeoutMs: this.#o.timeoutMs,
      maxBodyBytes: MAX_NODEINFO_BYTES,
    });
    if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
    return JSON.parse(await response.text()) as unknown;
  }
}

/** The href of the newest NodeInfo 2.x schema linked from `/.well-known/nodeinfo`. */
export function pickNodeInfoLink(document: unknown): string | null {
  const links = (document as { links?: unknown } | null)?.links;
  if (!Array.isArray(links)) return null;
  let best: { version: number; href: string } | null = null;
  for (const link of links) {
    const { rel, href } = (link ?? {}) as { rel?: unknown; href?: unknown };
    if (typeof rel !== "string" || typeof href !== "string") continue;
    const match = NODEINFO_REL.exec(rel);
    if (!match?.[1] || !/^https?:\/\//i.test(href)) continue;
    const version = Number(match[1]);
    if (best === null || version > best.version) best = { version, href };
  }
  return best?.href ?? null;
}
