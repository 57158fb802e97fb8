import type { Context } from "@fedify/fedify";
import { Application, Group, Person } from "@fedify/vocab";
import { getDocumentLoader } from "@fedify/vocab-runtime";
import { findActorById, type LocalActor, listActorKeys } from "../src/actors/actor.service.ts";
import { resourceProfileFields } from "../src/instance/crisis-resources.ts";
import { getCrisisResources } from "../src/instance/instance-settings.ts";
import type { HavenContext } from "./context.ts";
import { type ActorUrls, buildActorJson } from "./objects/actor.ts";

type ActorObject = Person | Group | Application;

interface CachedDocument {
  version: number;
  object: Promise<ActorObject>;
  body?: Promise<string>;
}

/** Page of an actor on our web UI. */
export function profilePageUrl(ctx: Context<HavenContext>, handle: string): URL {
  return new URL(`/@${handle}`, ctx.canonicalOrigin);
}

export async function actorUrls(ctx: Context<HavenContext>, actor: LocalActor): Promise<ActorUrls> {
  const urls: ActorUrls = {
    id: ctx.getActorUri(actor.handle),
    inbox: ctx.getInboxUri(actor.handle),
    sharedInbox: ctx.getInboxUri(),
    outbox: ctx.getOutboxUri(actor.handle),
    followers: ctx.getFollowersUri(actor.handle),
    following: ctx.getFollowingUri(actor.handle),
    profilePage: profilePageUrl(ctx, actor.handle),
  };
  if (actor.kind === "group" && actor.ownerActorId) {
    const owner = await findActorById(ctx.data.db, actor.ownerActorId);
    if (owner) urls.owner = ctx.getActorUri(owner.handle);
  }
  return urls;
}

/**
 * Fedify vocabulary objects built from our own JSON (`buildActorJson`) so the
 * wire shape is exactly ours; an object made by `fromJsonLd` serialises back
 * verbatim. JSON-LD expansion is costly, so objects — and the serialised body
 * the actor fast path serves — are cached per actor until its row changes
 * (`updatedAt` is the version).
 */
export class ActorDocumentCache {
  readonly #cache = new Map<string, CachedDocument>();
  readonly #loader = getDocumentLoader();

  async get(ctx: Context<HavenContext>, actor: LocalActor): Promise<ActorObject> {
    return this.#entry(ctx, actor).object;
  }

  /**
   * The response body Fedify's `handleActor` makes of the object, made the
   * same way (`JSON.stringify(await actor.toJsonLd(context))`), once per version.
   */
  async body(ctx: Context<HavenContext>, actor: LocalActor): Promise<string> {
    const entry = this.#entry(ctx, actor);
    if (!entry.body) {
      const body = entry.object.then(async (object) => JSON.stringify(await object.toJsonLd(ctx)));
      body.catch(() => {
        if (entry.body === body) delete entry.body;
      });
      entry.body = body;
    }
    return entry.body;
  }

  /** The body already made for this version of the actor, if any (no context needed). */
  cachedBody(actorId: string, version: Date): Promise<string> | null {
    const hit = this.#cache.get(actorId);
    return hit && hit.version === version.getTime() ? (hit.body ?? null) : null;
  }

  #entry(ctx: Context<HavenContext>, actor: LocalActor): CachedDocument {
    const version = actor.updatedAt.getTime();
    const hit = this.#cache.get(actor.id);
    if (hit && hit.version === version) return hit;
    const object = this.#build(ctx, actor);
    const entry: CachedDocument = { version, object };
    object.catch(() => {
      if (this.#cache.get(actor.id) === entry) this.#cache.delete(actor.id);
    });
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(actor.id, entry);
    return entry;
  }

  async json(ctx: Context<HavenContext>, actor: LocalActor): Promise<Record<string, unknown>> {
    const keys = await listActorKeys(ctx.data.db, actor.id);
    // A channel's profile carries the crisis resources (a change to them
    // moves every channel's `updatedAt`, so the cache above stays right).
    const extra =
      actor.kind === "group"
        ? resourceProfileFields(
            await getCrisisResources(ctx.data.db),
            actor.fields.length,
            new URL("/help", ctx.canonicalOrigin).href,
          )
        : [];
    return buildActorJson(actor, keys, await actorUrls(ctx, actor), extra);
  }

  async #build(ctx: Context<HavenContext>, actor: LocalActor): Promise<ActorObject> {
    const json = await this.json(ctx, actor);
    const options = { documentLoader: this.#loader, contextLoader: this.#loader };
    if (actor.kind === "group") return Group.fromJsonLd(json, options);
    if (actor.kind === "application") return Application.fromJsonLd(json, options);
    return Person.fromJsonLd(json, options);
  }
}
