import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  boolean,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { accounts, localActors } from "./accounts.ts";
import { remoteActors } from "./remote-actors.ts";
import { supportVideos } from "./videos.ts";

/**
 * A reply from another server to one of our videos (or to a comment on it).
 * Shown publicly only while `visible`; `held` waits for a channel manager,
 * `rejected` stays hidden (kept so a re-delivery does not bring it back).
 */
export const videoComments = pgTable(
  "video_comments",
  {
    id: uuid().primaryKey().defaultRandom(),
    /** The Note's id. */
    iri: text().notNull().unique(),
    videoId: uuid()
      .notNull()
      .references(() => supportVideos.id, { onDelete: "cascade" }),
    authorId: uuid()
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    /** The comment this one answers; null for a reply to the video itself. */
    parentId: uuid().references((): AnyPgColumn => videoComments.id, { onDelete: "set null" }),
    /** The `inReplyTo` as received. */
    inReplyToIri: text().notNull(),
    /** Sanitised HTML (src/comments/sanitize-html.ts). */
    content: text().notNull(),
    /** Content warning, plain text. */
    summary: text(),
    sensitive: boolean().notNull().default(false),
    language: text(),
    /** The Note's HTML page, when it has one. */
    url: text(),
    state: text({ enum: ["held", "visible", "rejected"] }).notNull(),
    /** Why a reply was held (src/comments/reply-hold.ts); null when it never was. */
    heldReason: text({ enum: ["policy", "watched_word", "silenced_domain", "lockdown"] }),
    /** The watched word (as the admin typed it) that held it. */
    heldWord: text(),
    publishedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    editedAt: timestamp({ withTimezone: true }),
    moderatedAt: timestamp({ withTimezone: true }),
    moderatedBy: uuid().references(() => accounts.id, { onDelete: "set null" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("video_comments_video_state_idx").on(t.videoId, t.state, t.publishedAt),
    index("video_comments_author_idx").on(t.authorId),
    index("video_comments_parent_idx").on(t.parentId),
  ],
);

/** A Like or an Announce (boost) of one of our videos, one per actor and kind. */
export const videoReactions = pgTable(
  "video_reactions",
  {
    id: uuid().primaryKey().defaultRandom(),
    /** The Like/Announce activity's id. */
    iri: text().notNull().unique(),
    kind: text({ enum: ["like", "announce"] }).notNull(),
    videoId: uuid()
      .notNull()
      .references(() => supportVideos.id, { onDelete: "cascade" }),
    actorId: uuid()
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("video_reactions_actor_video_kind_key").on(t.actorId, t.videoId, t.kind),
    index("video_reactions_video_kind_idx").on(t.videoId, t.kind),
  ],
);

/**
 * A report about our channels, videos or the comments on them: a `Flag` from
 * another server (`source` remote) or a visitor's report from the watch page
 * or `POST /api/v1/reports` (`source` local). Seen only by moderators; sent
 * elsewhere only when a moderator forwards it (as the instance actor).
 * The table keeps its first name (it held remote Flags only).
 */
export const remoteReports = pgTable(
  "remote_reports",
  {
    id: uuid().primaryKey().defaultRandom(),
    /** The Flag activity's id; null for a local report. */
    iri: text().unique(),
    /** Who sent it (Mastodon: the instance actor), kept for moderators only; null for a local report. */
    reporterIri: text(),
    /** Host of `reporterIri`, lower-case, no port (as `remote_actors.domain`); null for a local report. */
    reporterDomain: text(),
    /** A signed-in local reporter; null when anonymous or remote. */
    reporterAccountId: uuid().references(() => accounts.id, { onDelete: "set null" }),
    source: text({ enum: ["local", "remote"] })
      .notNull()
      .default("remote"),
    /** Mastodon's `spam` / `other`, plus Haven's `harassment` and `someone_may_be_at_risk`. */
    category: text({ enum: ["spam", "harassment", "someone_may_be_at_risk", "other"] })
      .notNull()
      .default("other"),
    /** The reporter's comment, plain text. */
    comment: text().notNull().default(""),
    /** The Flag's `object` list as received. */
    objectIris: text().array().notNull().default(sql`'{}'::text[]`),
    /** The local actor reported (explicitly, or the channel of a reported video). */
    targetActorId: uuid().references(() => localActors.id, { onDelete: "set null" }),
    /** Our videos and the comments on them that the report names (no FK: kept as evidence). */
    videoIds: uuid().array().notNull().default(sql`'{}'::uuid[]`),
    commentIds: uuid().array().notNull().default(sql`'{}'::uuid[]`),
    /** When a moderator forwarded it to the reported comment's server. */
    forwardedAt: timestamp({ withTimezone: true }),
    /** What resolving it did: none, hide_comment, reject_comment, block_account, block_domain. */
    actionTaken: text(),
    resolvedAt: timestamp({ withTimezone: true }),
    resolvedBy: uuid().references(() => accounts.id, { onDelete: "set null" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("remote_reports_open_idx").on(t.resolvedAt, t.createdAt),
    index("remote_reports_reporter_domain_idx").on(t.reporterDomain),
  ],
);

/**
 * Anonymous reports per client address, one fixed window per address. In the
 * database (not process memory) so every web process counts the same reports.
 * A row is only the address and a counter; stale rows are deleted as new
 * windows start.
 */
export const reportRateLimits = pgTable("report_rate_limits", {
  address: text().primaryKey(),
  windowStartedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  count: integer().notNull().default(0),
});
