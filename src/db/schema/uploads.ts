import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts.ts";
import { supportVideos } from "./videos.ts";

/**
 * A resumable (tus) video upload. The bytes live in `stagedPath` under the
 * staging directory; `uploadOffset` counts only bytes that were fsynced before
 * it was written, so after a crash the file is cut back to it.
 */
export const resumableUploads = pgTable(
  "resumable_uploads",
  {
    id: uuid().primaryKey().defaultRandom(),
    ownerAccountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** Declared total size (`Upload-Length`). */
    uploadLength: bigint({ mode: "number" }).notNull(),
    uploadOffset: bigint({ mode: "number" }).notNull().default(0),
    /** The decoded `Upload-Metadata` pairs we know (channel, title, …). */
    metadata: jsonb().$type<Record<string, string>>().notNull(),
    /** Absolute path of the server-named staged file. */
    stagedPath: text().notNull(),
    /** Set when the last byte arrived and the video was created; the job then owns the file. */
    videoId: uuid().references(() => supportVideos.id, { onDelete: "set null" }),
    /** A PATCH in progress holds this lease (renewed while it streams). */
    lockToken: uuid(),
    lockedUntil: timestamp({ withTimezone: true }),
    /** Unfinished uploads are removed (row and file) after this. */
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("resumable_uploads_expires_at_idx").on(t.expiresAt)],
);
