import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { actorKeys, localActors } from "../db/schema/index.ts";
import { INSTANCE_ACTOR_HANDLE } from "./handle.ts";
import { generateActorKeys } from "./keys.ts";

export type LocalActor = typeof localActors.$inferSelect;
export type ActorKeyRow = typeof actorKeys.$inferSelect;

export interface NewLocalActor {
  handle: string;
  kind: LocalActor["kind"];
  accountId?: string | null;
  ownerActorId?: string | null;
  displayName?: string;
  summary?: string;
  manuallyApprovesFollowers?: boolean;
  discoverable?: boolean;
  indexable?: boolean;
}

/**
 * Inserts an actor with fresh RSA + Ed25519 keys. Returns null when the handle
 * is taken (unique index), so callers can answer 409 without a race.
 */
export async function insertLocalActor(db: Db, input: NewLocalActor): Promise<LocalActor | null> {
  const keys = await generateActorKeys();
  return db.transaction(async (tx) => {
    const [actor] = await tx
      .insert(localActors)
      .values({
        handle: input.handle,
        kind: input.kind,
        accountId: input.accountId ?? null,
        ownerActorId: input.ownerActorId ?? null,
        displayName: input.displayName ?? "",
        summary: input.summary ?? "",
        manuallyApprovesFollowers: input.manuallyApprovesFollowers ?? false,
        discoverable: input.discoverable ?? true,
        indexable: input.indexable ?? false,
      })
      .onConflictDoNothing({ target: localActors.handle })
      .returning();
    if (!actor) return null;
    await tx.insert(actorKeys).values(keys.map((k) => ({ actorId: actor.id, ...k })));
    return actor;
  });
}

export async function findActorByHandle(db: Db, handle: string): Promise<LocalActor | null> {
  const [row] = await db
    .select()
    .from(localActors)
    .where(eq(localActors.handle, handle.toLowerCase()))
    .limit(1);
  return row ?? null;
}

export async function findActorById(db: Db, id: string): Promise<LocalActor | null> {
  const [row] = await db.select().from(localActors).where(eq(localActors.id, id)).limit(1);
  return row ?? null;
}

export async function findPersonOfAccount(db: Db, accountId: string): Promise<LocalActor | null> {
  const [row] = await db
    .select()
    .from(localActors)
    .where(and(eq(localActors.accountId, accountId), eq(localActors.kind, "person")))
    .limit(1);
  return row ?? null;
}

export async function listActorKeys(db: Db, actorId: string): Promise<ActorKeyRow[]> {
  return db.select().from(actorKeys).where(eq(actorKeys.actorId, actorId));
}

/** The instance's own `Application` actor, used to sign fetches. Made on first use. */
export async function ensureInstanceActor(db: Db): Promise<LocalActor> {
  const existing = await findActorByHandle(db, INSTANCE_ACTOR_HANDLE);
  if (existing) return existing;
  const created = await insertLocalActor(db, {
    handle: INSTANCE_ACTOR_HANDLE,
    kind: "application",
    displayName: "Haven instance",
    manuallyApprovesFollowers: true,
    discoverable: false,
  });
  return created ?? (await findActorByHandle(db, INSTANCE_ACTOR_HANDLE))!;
}
