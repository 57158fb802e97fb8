import type { Context } from "@fedify/fedify";
import { eq, sql } from "drizzle-orm";
import { findActorByHandle } from "../../src/actors/actor.service.ts";
import type { Db } from "../../src/db/client.ts";
import { localActors } from "../../src/db/schema/accounts.ts";
import type { ActorDocumentCache } from "../actor-documents.ts";
import type { HavenContext } from "../context.ts";

/**
 * Exactly what the actor dispatcher route answers with a handle Fedify would
 * look up unchanged: lowercase handles only (mixed case, encoded characters
 * and trailing slashes go to Fedify), and no query string.
 */
const ACTOR_PATH = /^\/users\/([a-z0-9_]{1,30})$/;

/**
 * `GET`/`HEAD /users/NAME` for ActivityPub clients without Fedify's request
 * handling (routing, tracing, `handleActor`, `toJsonLd`): one indexed SELECT
 * of the id and `updatedAt`, which versions the cached body, then that body
 * with Fedify's headers (a miss reads the whole row and builds it once). Every change to an actor's document goes through a row update that
 * bumps `updatedAt` (channel PATCH, images); keys are written once, with the
 * row, and handles never change. Each request reads the row, so a change made
 * by any process is served at once by every process.
 *
 * The caller keeps everything unusual on Fedify: authorized fetch (signature
 * checks), unknown handles, other paths.
 */
export class ActorFastPath {
  readonly #documents: ActorDocumentCache;
  readonly #db: Db;
  readonly #context: Context<HavenContext>;
  readonly #version: ReturnType<typeof prepareVersionLookup>;
  #served = 0;

  constructor(deps: {
    documents: ActorDocumentCache;
    db: Db;
    /** A context on our canonical origin: the document never depends on the request. */
    context: Context<HavenContext>;
  }) {
    this.#documents = deps.documents;
    this.#db = deps.db;
    this.#context = deps.context;
    this.#version = prepareVersionLookup(deps.db);
  }

  /** Requests answered here rather than by Fedify (tests and diagnostics). */
  get served(): number {
    return this.#served;
  }

  /** The handle when this request is one the fast path may answer, else null. */
  match(request: Request): string | null {
    if (request.method !== "GET" && request.method !== "HEAD") return null;
    const url = new URL(request.url);
    if (url.search !== "") return null;
    const handle = ACTOR_PATH.exec(url.pathname)?.[1];
    if (handle === undefined || !acceptsJsonLd(request.headers.get("accept"))) return null;
    return handle;
  }

  /** Fedify's answer for a local actor, or null (unknown handle) to let Fedify answer. */
  async answer(handle: string): Promise<Response | null> {
    const [row] = await this.#version.execute({ handle });
    if (!row) return null;
    const body =
      (await this.#documents.cachedBody(row.id, row.updatedAt)) ?? (await this.#build(handle));
    if (body === null) return null;
    this.#served++;
    // The headers `handleActor` sets (Fedify 2.3.6); a string body keeps
    // @hono/node-server on its fast path.
    return new Response(body, {
      headers: { "Content-Type": "application/activity+json", Vary: "Accept" },
    });
  }

  async #build(handle: string): Promise<string | null> {
    const actor = await findActorByHandle(this.#db, handle);
    return actor ? this.#documents.body(this.#context, actor) : null;
  }
}

/** Built once: drizzle then skips building the SQL on every request. */
function prepareVersionLookup(db: Db) {
  return db
    .select({ id: localActors.id, updatedAt: localActors.updatedAt })
    .from(localActors)
    .where(eq(localActors.handle, sql.placeholder("handle")))
    .limit(1)
    .prepare("actor_document_version");
}

interface MediaRange {
  type: string;
  q: number;
  index: number;
}

const MEDIA_RANGE = /^\s*([^\s/;]+)\/([^;\s]+)\s*(?:;(.*))?$/;

/**
 * Fedify 2.3.6's `acceptsJsonLd` (its negotiator port), which is not
 * exported: the same parse, order and tie-breaks, so the fast path answers
 * JSON exactly when Fedify would, and HTML-preferring browsers fall through.
 * No Accept header means `*∕*`, which names no JSON-LD type.
 */
export function acceptsJsonLd(accept: string | null): boolean {
  if (!accept) return false;
  const types = accept
    .split(",")
    .map((part, index) => parseMediaRange(part.trim(), index))
    .filter((range): range is MediaRange => range !== null && range.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((range) => range.type);
  if (types[0] === "text/html" || types[0] === "application/xhtml+xml") return false;
  return (
    types.includes("application/activity+json") ||
    types.includes("application/ld+json") ||
    types.includes("application/json")
  );
}

function parseMediaRange(text: string, index: number): MediaRange | null {
  const match = MEDIA_RANGE.exec(text);
  if (!match?.[1] || !match[2]) return null;
  let q = 1;
  for (const param of (match[3] ?? "").split(";")) {
    const [rawKey = "", rawValue] = param.trim().split("=");
    const value =
      rawValue?.startsWith('"') && rawValue.endsWith('"') ? rawValue.slice(1, -1) : rawValue;
    if (rawKey.toLowerCase() === "q" && value) {
      q = Number.parseFloat(value);
      break;
    }
  }
  // Type names keep their case, as in Fedify (`Application/JSON` is no JSON-LD there).
  return { type: `${match[1]}/${match[2]}`, q, index };
}
