import { index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts.ts";

/**
 * Browser sessions (not API tokens). The cookie carries a random secret; the
 * row is keyed by its SHA-256, so a copy of the table signs nobody in.
 * Deleting the row ends the session (sign out); a row created before the
 * account's last password change is refused, as API tokens are.
 */
export const webSessions = pgTable(
  "web_sessions",
  {
    idHash: text().primaryKey(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** Every state-changing form of this session carries it. */
    csrfToken: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    userAgent: text().notNull().default(""),
  },
  (t) => [index("web_sessions_account_idx").on(t.accountId)],
);

/**
 * Failed sign-ins per key (`account:<name>` and `address:<ip or /64>`) in a
 * fixed window. In the database, so several web processes share the count.
 */
export const signInFailures = pgTable("sign_in_failures", {
  key: text().primaryKey(),
  windowStartedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  count: integer().notNull().default(0),
});
