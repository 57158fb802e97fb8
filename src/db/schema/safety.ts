import { index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts, localActors } from "./accounts.ts";

/**
 * Remote accounts a channel's managers trust: their replies to the channel's
 * videos skip the approval queue (never the watched words or a lockdown).
 */
export const channelTrustedAccounts = pgTable(
  "channel_trusted_accounts",
  {
    id: uuid().primaryKey().defaultRandom(),
    channelId: uuid()
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    /** The actor's IRI: what a reply's author is compared with. */
    actorIri: text().notNull(),
    /** `user@host`, for people reading the list. */
    acct: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("channel_trusted_accounts_key").on(t.channelId, t.actorIri)],
);

/** Instance-wide watched words and phrases: a reply containing one is held for a human. */
export const watchedWords = pgTable("watched_words", {
  id: uuid().primaryKey().defaultRandom(),
  /** As the admin typed it: what the moderator is shown. */
  word: text().notNull(),
  /** Its normalised tokens joined by one space (src/comments/watched-words.ts): unique. */
  normalized: text().notNull().unique(),
  createdBy: uuid().references(() => accounts.id, { onDelete: "set null" }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * A lockdown: instance-wide (`channelId` null) or of one channel. Active
 * while `endedAt` is null and `until` is ahead; `endedAt` is set when it is
 * ended early or, once past `until`, by the first check that sees it expired
 * (src/moderation/lockdown.service.ts), which also writes `lockdown.end`.
 */
export const lockdowns = pgTable(
  "lockdowns",
  {
    id: uuid().primaryKey().defaultRandom(),
    channelId: uuid().references(() => localActors.id, { onDelete: "cascade" }),
    until: timestamp({ withTimezone: true }).notNull(),
    startedBy: uuid().references(() => accounts.id, { onDelete: "set null" }),
    endedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("lockdowns_open_idx").on(t.endedAt, t.until)],
);

/**
 * Notes whose author deleted them before we had them (deliveries arrive out
 * of order), or actors that deleted themselves: a late `Create` from that
 * author is dropped. `noteIri` equals `actorIri` for a deleted actor.
 */
export const deletedNotes = pgTable(
  "deleted_notes",
  {
    actorIri: text().notNull(),
    noteIri: text().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("deleted_notes_key").on(t.actorIri, t.noteIri),
    index("deleted_notes_expires_idx").on(t.expiresAt),
  ],
);
