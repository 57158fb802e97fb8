CREATE TABLE "instance_software" (
	"domain" text PRIMARY KEY NOT NULL,
	"software" text NOT NULL,
	"version" text,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "support_videos" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel_id" uuid NOT NULL,
	"uploader_account_id" uuid,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"language" text,
	"content_warning" text,
	"comments_policy" text DEFAULT 'open' NOT NULL,
	"state" text DEFAULT 'processing' NOT NULL,
	"failure_reason" text,
	"duration_seconds" integer,
	"width" integer,
	"height" integer,
	"fps" real,
	"size_bytes" bigint,
	"media_key" text,
	"poster_key" text,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "video_captions" (
	"video_id" uuid NOT NULL,
	"language" text NOT NULL,
	"media_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "video_captions_video_id_language_pk" PRIMARY KEY("video_id","language")
);
--> statement-breakpoint
CREATE TABLE "video_views" (
	"video_id" uuid NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "video_views_video_id_pk" PRIMARY KEY("video_id")
);
--> statement-breakpoint
CREATE TABLE "account_blocks" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "account_blocks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"actor_iri" text NOT NULL,
	"domain" text NOT NULL,
	"private_comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "domain_allows" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "domain_allows_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"domain" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "domain_block_drafts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "domain_block_drafts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"subscription_id" bigint NOT NULL,
	"domain" text NOT NULL,
	"severity" text NOT NULL,
	"reject_media" boolean DEFAULT false NOT NULL,
	"reject_reports" boolean DEFAULT false NOT NULL,
	"private_comment" text,
	"public_comment" text,
	"obfuscate" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "domain_block_drafts_severity_check" CHECK ("domain_block_drafts"."severity" IN ('suspend', 'silence', 'noop'))
);
--> statement-breakpoint
CREATE TABLE "domain_block_exclusions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "domain_block_exclusions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"domain" text NOT NULL,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "domain_block_import_previews" (
	"token" text PRIMARY KEY NOT NULL,
	"payload" jsonb NOT NULL,
	"state_version" bigint NOT NULL,
	"created_by_account_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "domain_block_sources" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "domain_block_sources_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"domain" text NOT NULL,
	"subscription_id" bigint,
	"severity" text NOT NULL,
	"reject_media" boolean DEFAULT false NOT NULL,
	"reject_reports" boolean DEFAULT false NOT NULL,
	"private_comment" text,
	"public_comment" text,
	"obfuscate" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "domain_block_sources_severity_check" CHECK ("domain_block_sources"."severity" IN ('suspend', 'silence', 'noop'))
);
--> statement-breakpoint
CREATE TABLE "domain_block_subscriptions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "domain_block_subscriptions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"url" text NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"format" text DEFAULT 'auto' NOT NULL,
	"priority" smallint DEFAULT 100 NOT NULL,
	"review_mode" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"sync_interval_seconds" integer DEFAULT 86400 NOT NULL,
	"last_fetched_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"last_digest" text,
	"created_by_account_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "domain_block_subscriptions_priority_range" CHECK ("domain_block_subscriptions"."priority" BETWEEN 0 AND 255),
	CONSTRAINT "domain_block_subscriptions_interval_min" CHECK ("domain_block_subscriptions"."sync_interval_seconds" >= 60)
);
--> statement-breakpoint
CREATE TABLE "domain_blocks" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "domain_blocks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"domain" text NOT NULL,
	"severity" text NOT NULL,
	"reject_media" boolean DEFAULT false NOT NULL,
	"reject_reports" boolean DEFAULT false NOT NULL,
	"private_comment" text,
	"public_comment" text,
	"obfuscate" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "domain_blocks_severity_check" CHECK ("domain_blocks"."severity" IN ('suspend', 'silence', 'noop'))
);
--> statement-breakpoint
CREATE TABLE "moderation_audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "moderation_audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"actor" text NOT NULL,
	"actor_account_id" uuid,
	"action" text NOT NULL,
	"target" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "moderation_state" (
	"id" smallint PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "moderation_state_single_row" CHECK ("moderation_state"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE "support_videos" ADD CONSTRAINT "support_videos_channel_id_local_actors_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."local_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "support_videos" ADD CONSTRAINT "support_videos_uploader_account_id_accounts_id_fk" FOREIGN KEY ("uploader_account_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_captions" ADD CONSTRAINT "video_captions_video_id_support_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."support_videos"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_views" ADD CONSTRAINT "video_views_video_id_support_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."support_videos"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_block_drafts" ADD CONSTRAINT "domain_block_drafts_subscription_id_domain_block_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."domain_block_subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_block_import_previews" ADD CONSTRAINT "domain_block_import_previews_created_by_account_id_accounts_id_fk" FOREIGN KEY ("created_by_account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_block_sources" ADD CONSTRAINT "domain_block_sources_subscription_id_domain_block_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."domain_block_subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_block_subscriptions" ADD CONSTRAINT "domain_block_subscriptions_created_by_account_id_accounts_id_fk" FOREIGN KEY ("created_by_account_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "moderation_audit_log" ADD CONSTRAINT "moderation_audit_log_actor_account_id_accounts_id_fk" FOREIGN KEY ("actor_account_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "support_videos_channel_published_idx" ON "support_videos" USING btree ("channel_id","state","published_at");--> statement-breakpoint
CREATE UNIQUE INDEX "account_blocks_actor_iri_key" ON "account_blocks" USING btree ("actor_iri");--> statement-breakpoint
CREATE INDEX "account_blocks_domain_idx" ON "account_blocks" USING btree ("domain");--> statement-breakpoint
CREATE UNIQUE INDEX "domain_allows_domain_key" ON "domain_allows" USING btree ("domain");--> statement-breakpoint
CREATE UNIQUE INDEX "domain_block_drafts_subscription_domain_key" ON "domain_block_drafts" USING btree ("subscription_id","domain");--> statement-breakpoint
CREATE UNIQUE INDEX "domain_block_exclusions_domain_key" ON "domain_block_exclusions" USING btree ("domain");--> statement-breakpoint
CREATE UNIQUE INDEX "domain_block_sources_manual_key" ON "domain_block_sources" USING btree ("domain") WHERE subscription_id IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "domain_block_sources_subscription_key" ON "domain_block_sources" USING btree ("subscription_id","domain");--> statement-breakpoint
CREATE INDEX "domain_block_sources_domain_idx" ON "domain_block_sources" USING btree ("domain");--> statement-breakpoint
CREATE UNIQUE INDEX "domain_block_subscriptions_url_key" ON "domain_block_subscriptions" USING btree ("url");--> statement-breakpoint
CREATE UNIQUE INDEX "domain_blocks_domain_key" ON "domain_blocks" USING btree ("domain");--> statement-breakpoint
CREATE INDEX "moderation_audit_log_created_idx" ON "moderation_audit_log" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "moderation_audit_log_target_idx" ON "moderation_audit_log" USING btree ("target");