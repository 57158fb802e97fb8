import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Actors on other instances that we have a relationship with. */
export const remoteActors = pgTable(
  "remote_actors",
  {
    id: uuid().primaryKey().defaultRandom(),
    iri: text().notNull().unique(),
    type: text().notNull(),
    handle: text().notNull(),
    /** Host of the actor id, lower-case, without port. */
    domain: text().notNull(),
    inboxUrl: text().notNull(),
    sharedInboxUrl: text(),
    displayName: text().notNull().default(""),
    url: text(),
    /** What the actor document said when we last fetched it. */
    raw: jsonb().$type<Record<string, unknown>>(),
    fetchedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("remote_actors_domain_idx").on(t.domain)],
);
