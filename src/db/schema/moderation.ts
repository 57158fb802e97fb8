import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { accounts } from "./accounts.ts";

/*
 * Domain federation policy (see src/moderation/README.md).
 *
 * Every source of a block — the admin by hand (or by CSV import), or one
 * subscribed blocklist — keeps its own claim in `domain_block_sources`. The
 * row in `domain_blocks` is the effective block, recomputed from the claims;
 * it is what the policy, the admin API and the export read. Domains are stored
 * normalised (lower-case ASCII/punycode, no port, no trailing dot; IPv6
 * without brackets) and a block covers every subdomain.
 */

const SEVERITIES = ["suspend", "silence", "noop"] as const;

const severityCheck = (name: string, column: unknown) =>
  check(name, sql`${column} IN ('suspend', 'silence', 'noop')`);

/** The effective block per domain (Mastodon's `domain_blocks`). */
export const domainBlocks = pgTable(
  "domain_blocks",
  {
    /** A number, like Mastodon's: clients page with `max_id`/`since_id`. */
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    domain: text().notNull(),
    severity: text({ enum: SEVERITIES }).notNull(),
    rejectMedia: boolean().notNull().default(false),
    rejectReports: boolean().notNull().default(false),
    privateComment: text(),
    publicComment: text(),
    obfuscate: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("domain_blocks_domain_key").on(t.domain),
    severityCheck("domain_blocks_severity_check", t.severity),
  ],
);

/** Shared blocklists fetched by URL and re-synced periodically. */
export const domainBlockSubscriptions = pgTable(
  "domain_block_subscriptions",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    url: text().notNull(),
    title: text().notNull().default(""),
    /** `auto` sniffs the body: JSON array, Mastodon CSV header, else plain. */
    format: text({ enum: ["auto", "mastodon_csv", "mastodon_json", "plain"] })
      .notNull()
      .default("auto"),
    /** 0–255 like GoToSocial; higher first (comment order, `priority` policy). */
    priority: smallint().notNull().default(100),
    /** New or changed entries become drafts awaiting an admin. */
    reviewMode: boolean().notNull().default(false),
    enabled: boolean().notNull().default(true),
    syncIntervalSeconds: integer().notNull().default(86_400),
    lastFetchedAt: timestamp({ withTimezone: true }),
    lastSuccessAt: timestamp({ withTimezone: true }),
    lastError: text(),
    lastErrorAt: timestamp({ withTimezone: true }),
    /** sha256 of the last body applied; an identical body is not re-parsed. */
    lastDigest: text(),
    createdByAccountId: uuid().references(() => accounts.id, { onDelete: "set null" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("domain_block_subscriptions_url_key").on(t.url),
    check("domain_block_subscriptions_priority_range", sql`${t.priority} BETWEEN 0 AND 255`),
    check("domain_block_subscriptions_interval_min", sql`${t.syncIntervalSeconds} >= 60`),
  ],
);

/** One source's claim on a domain: the admin's (`subscription_id` null) or a list's. */
export const domainBlockSources = pgTable(
  "domain_block_sources",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    domain: text().notNull(),
    subscriptionId: bigint({ mode: "number" }).references(() => domainBlockSubscriptions.id, {
      onDelete: "cascade",
    }),
    severity: text({ enum: SEVERITIES }).notNull(),
    rejectMedia: boolean().notNull().default(false),
    rejectReports: boolean().notNull().default(false),
    privateComment: text(),
    publicComment: text(),
    obfuscate: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("domain_block_sources_manual_key").on(t.domain).where(sql`subscription_id IS NULL`),
    uniqueIndex("domain_block_sources_subscription_key").on(t.subscriptionId, t.domain),
    index("domain_block_sources_domain_idx").on(t.domain),
    severityCheck("domain_block_sources_severity_check", t.severity),
  ],
);

/** Entries of a subscription in review mode, waiting for an admin. */
export const domainBlockDrafts = pgTable(
  "domain_block_drafts",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    subscriptionId: bigint({ mode: "number" })
      .notNull()
      .references(() => domainBlockSubscriptions.id, { onDelete: "cascade" }),
    domain: text().notNull(),
    severity: text({ enum: SEVERITIES }).notNull(),
    rejectMedia: boolean().notNull().default(false),
    rejectReports: boolean().notNull().default(false),
    privateComment: text(),
    publicComment: text(),
    obfuscate: boolean().notNull().default(false),
    /** A rejected draft is kept so the same entry is not proposed again. */
    status: text({ enum: ["pending", "rejected"] })
      .notNull()
      .default("pending"),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("domain_block_drafts_subscription_domain_key").on(t.subscriptionId, t.domain),
    severityCheck("domain_block_drafts_severity_check", t.severity),
  ],
);

/** Domains (and their subdomains) no subscription may ever block. */
export const domainBlockExclusions = pgTable(
  "domain_block_exclusions",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    domain: text().notNull(),
    comment: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("domain_block_exclusions_domain_key").on(t.domain)],
);

/** Allowlist-mode entries (Mastodon's `domain_allows`); cover subdomains. */
export const domainAllows = pgTable(
  "domain_allows",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    domain: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("domain_allows_domain_key").on(t.domain)],
);

/** One remote actor refused instance-wide, whatever its domain's standing. */
export const accountBlocks = pgTable(
  "account_blocks",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    actorIri: text().notNull(),
    domain: text().notNull(),
    privateComment: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("account_blocks_actor_iri_key").on(t.actorIri),
    index("account_blocks_domain_idx").on(t.domain),
  ],
);

/** A parsed CSV import waiting for the admin's confirmation. */
export const domainBlockImportPreviews = pgTable("domain_block_import_previews", {
  token: text().primaryKey(),
  /** The normalised entries and options to apply (see import.service.ts). */
  payload: jsonb().notNull(),
  /** `moderation_state.version` at preview time: apply refuses a stale preview. */
  stateVersion: bigint({ mode: "number" }).notNull(),
  createdByAccountId: uuid().references(() => accounts.id, { onDelete: "cascade" }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp({ withTimezone: true }).notNull(),
});

/** Who did what to federation policy, for admins and for accountability. */
export const moderationAuditLog = pgTable(
  "moderation_audit_log",
  {
    id: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** `account:<uuid>`, `subscription:<id>` or `system`. */
    actor: text().notNull(),
    actorAccountId: uuid().references(() => accounts.id, { onDelete: "set null" }),
    action: text().notNull(),
    /** Usually a domain, an actor IRI, a subscription URL or a setting key. */
    target: text().notNull(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    source: text({ enum: ["manual", "import", "subscription", "system"] }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("moderation_audit_log_created_idx").on(t.createdAt),
    index("moderation_audit_log_target_idx").on(t.target),
  ],
);

/**
 * A single row whose `version` goes up with every policy change, in the same
 * transaction; policy caches in every process compare it (TTL fallback to
 * LISTEN/NOTIFY on `haven_moderation`).
 */
export const moderationState = pgTable(
  "moderation_state",
  {
    id: smallint().primaryKey(),
    version: bigint({ mode: "number" }).notNull(),
    changedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("moderation_state_single_row", sql`${t.id} = 1`)],
);
