import { index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { localActors } from "./accounts.ts";
import { remoteActors } from "./remote-actors.ts";

/** A remote actor following one of our actors (pending until accepted). */
export const follows = pgTable(
  "follows",
  {
    id: uuid().primaryKey().defaultRandom(),
    followerId: uuid()
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    followeeId: uuid()
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    /** The id of the Follow activity, echoed in our Accept/Reject. */
    activityIri: text().notNull(),
    status: text({ enum: ["pending", "accepted"] }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    acceptedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex("follows_follower_followee_key").on(t.followerId, t.followeeId),
    index("follows_followee_status_idx").on(t.followeeId, t.status, t.createdAt),
    index("follows_activity_iri_idx").on(t.activityIri),
  ],
);
