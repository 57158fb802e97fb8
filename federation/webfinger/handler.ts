import { eq, sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { localActors } from "../../src/db/schema/accounts.ts";
import type { HavenContext } from "../context.ts";
import {
  AVATAR_REL,
  avatarMediaType,
  type Jrd,
  type JrdLink,
  PROFILE_PAGE_REL,
  subjectAndAliases,
} from "./jrd.ts";
import { handleOf, parseResource } from "./resource.ts";

const JRD_HEADERS = {
  "Content-Type": "application/jrd+json",
  "Access-Control-Allow-Origin": "*",
};

/**
 * `GET /.well-known/webfinger`, answered from one indexed SELECT instead of
 * through Fedify, which builds (JSON-LD expands) the whole actor document for
 * every lookup (BENCHMARKS.md S5). The answer is byte for byte Fedify
 * 2.3.6's (test/integration/webfinger.test.ts compares the two). Returns
 * null where Fedify would call `onNotFound` (unknown actor, not our host).
 */
export async function answerWebFinger(
  request: Request,
  data: HavenContext,
): Promise<Response | null> {
  const requestUrl = new URL(request.url);
  const publicUrl = data.config.publicUrl;
  const host = publicUrl.host;
  const contextHost = requestUrl.host;
  const parsed = parseResource(requestUrl.searchParams.get("resource"), {
    hosts: [host, contextHost],
    origins: [publicUrl.origin, requestUrl.origin],
  });
  if (!parsed.ok) {
    return parsed.status === 400 ? new Response(parsed.message, { status: 400 }) : null;
  }
  const target = parsed.target;
  const wanted = handleOf(target.kind === "acct" ? target.username : target.identifier);
  if (wanted === null) return null;
  const actor = await findWebFingerActor(data.db, wanted);
  if (actor === null) return null;

  // Fedify names the actor by the identifier its handle mapper returned (the
  // stored handle) for acct:, and by the URL's own identifier for actor URLs.
  const identifier = target.kind === "url" && target.isActorUri ? target.identifier : actor.handle;
  const actorUri = new URL(`/users/${encodeURIComponent(identifier)}`, publicUrl.origin);
  const links: JrdLink[] = [
    { rel: "self", href: actorUri.href, type: "application/activity+json" },
    {
      rel: PROFILE_PAGE_REL,
      href: new URL(`/@${actor.handle}`, publicUrl.origin).href,
      type: "text/html",
    },
  ];
  const avatar = actor.avatarUrl === null ? null : URL.parse(actor.avatarUrl);
  if (avatar && actor.avatarUrl !== null) {
    links.push({ rel: AVATAR_REL, href: avatar.href, type: avatarMediaType(actor.avatarUrl) });
  }
  const resourceUrl =
    target.kind === "acct" ? new URL(`acct:${target.username}@${target.host}`) : target.url;
  const jrd: Jrd = {
    ...subjectAndAliases({
      resourceUrl,
      actorUri,
      preferredUsername: actor.handle,
      acctUsername: target.kind === "acct" ? target.username : null,
      host,
      contextHost,
    }),
    links,
  };
  return new Response(JSON.stringify(jrd), { headers: JRD_HEADERS });
}

/** The one indexed SELECT, built once per database (drizzle then skips building the SQL). */
function prepareLookup(db: Db) {
  return db
    .select({ handle: localActors.handle, avatarUrl: localActors.avatarUrl })
    .from(localActors)
    .where(eq(localActors.handle, sql.placeholder("handle")))
    .limit(1)
    .prepare("webfinger_actor_by_handle");
}

const lookups = new WeakMap<Db, ReturnType<typeof prepareLookup>>();

async function findWebFingerActor(
  db: Db,
  handle: string,
): Promise<{ handle: string; avatarUrl: string | null } | null> {
  let lookup = lookups.get(db);
  if (!lookup) {
    lookup = prepareLookup(db);
    lookups.set(db, lookup);
  }
  const [row] = await lookup.execute({ handle });
  return row ?? null;
}
