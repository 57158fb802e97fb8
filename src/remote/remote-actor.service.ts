import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { remoteActors } from "../db/schema/index.ts";

export type RemoteActor = typeof remoteActors.$inferSelect;

export interface RemoteActorInput {
  iri: string;
  type: string;
  handle: string;
  inboxUrl: string;
  sharedInboxUrl: string | null;
  displayName: string;
  url: string | null;
  raw: Record<string, unknown> | null;
}

/** Host of an IRI the way moderation matches it: lower-case, no port. */
export function domainOf(iri: string): string {
  return new URL(iri).hostname.toLowerCase().replace(/^\[|\]$/g, "");
}

export async function upsertRemoteActor(db: Db, input: RemoteActorInput): Promise<RemoteActor> {
  const values = { ...input, domain: domainOf(input.iri), fetchedAt: new Date() };
  const [row] = await db
    .insert(remoteActors)
    .values(values)
    .onConflictDoUpdate({
      target: remoteActors.iri,
      set: {
        type: values.type,
        handle: values.handle,
        inboxUrl: values.inboxUrl,
        sharedInboxUrl: values.sharedInboxUrl,
        displayName: values.displayName,
        url: values.url,
        raw: values.raw,
        fetchedAt: sql`now()`,
      },
    })
    .returning();
  return row!;
}

export async function findRemoteActor(db: Db, iri: string): Promise<RemoteActor | null> {
  const [row] = await db.select().from(remoteActors).where(eq(remoteActors.iri, iri)).limit(1);
  return row ?? null;
}

/** What an inbox handler needs of a stored actor: no `raw` document (kilobytes) read for it. */
export type RemoteActorRef = Pick<RemoteActor, "id" | "iri" | "fetchedAt">;

export async function findRemoteActorRef(db: Db, iri: string): Promise<RemoteActorRef | null> {
  const [row] = await db
    .select({ id: remoteActors.id, iri: remoteActors.iri, fetchedAt: remoteActors.fetchedAt })
    .from(remoteActors)
    .where(eq(remoteActors.iri, iri))
    .limit(1);
  return row ?? null;
}

/** A remote actor deleted itself: forget it and everything hanging off it. */
export async function purgeRemoteActor(db: Db, iri: string): Promise<boolean> {
  const deleted = await db
    .delete(remoteActors)
    .where(eq(remoteActors.iri, iri))
    .returning({ id: remoteActors.id });
  return deleted.length > 0;
}
