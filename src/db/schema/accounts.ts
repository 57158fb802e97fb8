import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** People who log in to this instance. Each has a `person` local actor. */
export const accounts = pgTable("accounts", {
  id: uuid().primaryKey().defaultRandom(),
  username: text().notNull().unique(),
  passwordHash: text().notNull(),
  isAdmin: boolean().notNull().default(false),
  /** Tokens issued before this instant are revoked. */
  passwordChangedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * Every actor this instance hosts — members (`person`), channels (`group`)
 * and the instance actor (`application`) — shares one handle namespace.
 */
export const localActors = pgTable(
  "local_actors",
  {
    id: uuid().primaryKey().defaultRandom(),
    handle: text().notNull(),
    kind: text({ enum: ["person", "group", "application"] }).notNull(),
    accountId: uuid().references(() => accounts.id, { onDelete: "cascade" }),
    /** For a channel: the member who owns it (PeerTube needs a Person owner). */
    ownerActorId: uuid().references((): never => localActors.id as never, { onDelete: "restrict" }),
    displayName: text().notNull().default(""),
    summary: text().notNull().default(""),
    avatarUrl: text(),
    headerUrl: text(),
    manuallyApprovesFollowers: boolean().notNull().default(false),
    discoverable: boolean().notNull().default(true),
    indexable: boolean().notNull().default(false),
    /** A channel's policy for new uploads that choose none; null: the instance default. */
    defaultCommentsPolicy: text({ enum: ["open", "approval", "closed"] }),
    /** Profile fields shown on Mastodon, e.g. crisis resources. */
    fields: jsonb().$type<{ name: string; value: string }[]>().notNull().default([]),
    /**
     * Channels: a "Support: <link>" line under a content-warned video's Note
     * (off by default: the channel chooses whether its posts carry it).
     */
    appendSupportLink: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("local_actors_handle_key").on(t.handle),
    index("local_actors_account_idx").on(t.accountId),
    check("local_actors_handle_format", sql`${t.handle} ~ '^[a-z0-9_]{1,30}$'`),
  ],
);

/** Signing keys of local actors, as JWK (private part included). */
export const actorKeys = pgTable(
  "actor_keys",
  {
    actorId: uuid()
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    algorithm: text({ enum: ["RSASSA-PKCS1-v1_5", "Ed25519"] }).notNull(),
    privateJwk: jsonb().$type<JsonWebKey>().notNull(),
    publicJwk: jsonb().$type<JsonWebKey>().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("actor_keys_actor_algorithm_key").on(t.actorId, t.algorithm)],
);

/** Bearer tokens (JWTs); the row lets an admin revoke one by its `jti`. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid().primaryKey().defaultRandom(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text().notNull(),
    scopes: text().array().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("api_tokens_account_idx").on(t.accountId)],
);

/**
 * Accounts that post to a channel besides its owner (several clinicians, one
 * channel). A member manages the channel's videos, follow requests and
 * comments; only the owner or an admin changes who is a member.
 */
export const channelMembers = pgTable(
  "channel_members",
  {
    channelId: uuid()
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    role: text({ enum: ["member"] })
      .notNull()
      .default("member"),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.channelId, t.accountId], name: "channel_members_pkey" }),
    index("channel_members_account_idx").on(t.accountId),
  ],
);
