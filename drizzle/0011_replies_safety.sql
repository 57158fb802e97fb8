CREATE TABLE "channel_trusted_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel_id" uuid NOT NULL,
	"actor_iri" text NOT NULL,
	"acct" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deleted_notes" (
	"actor_iri" text NOT NULL,
	"note_iri" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lockdowns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel_id" uuid,
	"until" timestamp with time zone NOT NULL,
	"started_by" uuid,
	"ended_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "watched_words" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"word" text NOT NULL,
	"normalized" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "watched_words_normalized_unique" UNIQUE("normalized")
);
--> statement-breakpoint
ALTER TABLE "local_actors" ADD COLUMN "default_comments_policy" text;--> statement-breakpoint
ALTER TABLE "video_comments" ADD COLUMN "held_reason" text;--> statement-breakpoint
ALTER TABLE "video_comments" ADD COLUMN "held_word" text;--> statement-breakpoint
ALTER TABLE "channel_trusted_accounts" ADD CONSTRAINT "channel_trusted_accounts_channel_id_local_actors_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."local_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lockdowns" ADD CONSTRAINT "lockdowns_channel_id_local_actors_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."local_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lockdowns" ADD CONSTRAINT "lockdowns_started_by_accounts_id_fk" FOREIGN KEY ("started_by") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "watched_words" ADD CONSTRAINT "watched_words_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "channel_trusted_accounts_key" ON "channel_trusted_accounts" USING btree ("channel_id","actor_iri");--> statement-breakpoint
CREATE UNIQUE INDEX "deleted_notes_key" ON "deleted_notes" USING btree ("actor_iri","note_iri");--> statement-breakpoint
CREATE INDEX "deleted_notes_expires_idx" ON "deleted_notes" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "lockdowns_open_idx" ON "lockdowns" USING btree ("ended_at","until");--> statement-breakpoint
-- Replies held before reasons were recorded were held by the comment policy.
UPDATE "video_comments" SET "held_reason" = 'policy' WHERE "state" = 'held';