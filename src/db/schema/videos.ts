import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { accounts, localActors } from "./accounts.ts";

/** One stored MP4 of a video besides its main file. */
export interface VideoRendition {
  key: string;
  width: number;
  height: number;
  fps: number | null;
  sizeBytes: number;
}

/**
 * A support video published by a channel. Its UUID is public (URLs, PeerTube
 * `uuid`). It federates only once `state` is `published`.
 */
export const supportVideos = pgTable(
  "support_videos",
  {
    id: uuid().primaryKey().defaultRandom(),
    channelId: uuid()
      .notNull()
      .references(() => localActors.id, { onDelete: "cascade" }),
    uploaderAccountId: uuid().references(() => accounts.id, { onDelete: "set null" }),
    title: text().notNull(),
    /** Markdown. */
    description: text().notNull().default(""),
    tags: text().array().notNull().default(sql`'{}'::text[]`),
    /** BCP 47 primary language tag, e.g. "en". */
    language: text(),
    /** A short warning ("mentions self-harm"); also marks the video sensitive. */
    contentWarning: text(),
    commentsPolicy: text({ enum: ["open", "approval", "closed"] })
      .notNull()
      .default("open"),
    state: text({ enum: ["processing", "published", "failed", "deleted"] })
      .notNull()
      .default("processing"),
    failureReason: text(),
    durationSeconds: integer(),
    width: integer(),
    height: integer(),
    fps: real(),
    sizeBytes: bigint({ mode: "number" }),
    /** Storage keys (see src/media/storage.ts). */
    mediaKey: text(),
    posterKey: text(),
    /** BlurHash of the poster (4×4 components, as Mastodon computes its own). */
    blurhash: text(),
    /**
     * A smaller copy, made only when the processed file is over what other
     * servers download for a post (src/videos/video-files.ts).
     */
    compactRendition: jsonb().$type<VideoRendition>(),
    publishedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index("support_videos_channel_published_idx").on(t.channelId, t.state, t.publishedAt)],
);

/** WebVTT captions, one per language. */
export const videoCaptions = pgTable(
  "video_captions",
  {
    videoId: uuid()
      .notNull()
      .references(() => supportVideos.id, { onDelete: "cascade" }),
    language: text().notNull(),
    mediaKey: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.videoId, t.language] })],
);

/** What software a remote instance runs (from its NodeInfo), cached. */
export const instanceSoftware = pgTable("instance_software", {
  domain: text().primaryKey(),
  /** NodeInfo `software.name`, lower-case; "unknown" when it could not be read. */
  software: text().notNull(),
  version: text(),
  fetchedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const videoViews = pgTable(
  "video_views",
  {
    videoId: uuid()
      .notNull()
      .references(() => supportVideos.id, { onDelete: "cascade" }),
    count: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.videoId] })],
);
