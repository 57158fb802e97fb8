CREATE TABLE "remote_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"iri" text NOT NULL,
	"reporter_iri" text NOT NULL,
	"reporter_domain" text NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"object_iris" text[] DEFAULT '{}'::text[] NOT NULL,
	"target_actor_id" uuid,
	"video_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"comment_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "remote_reports_iri_unique" UNIQUE("iri")
);
--> statement-breakpoint
CREATE TABLE "video_comments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"iri" text NOT NULL,
	"video_id" uuid NOT NULL,
	"author_id" uuid NOT NULL,
	"parent_id" uuid,
	"in_reply_to_iri" text NOT NULL,
	"content" text NOT NULL,
	"summary" text,
	"sensitive" boolean DEFAULT false NOT NULL,
	"language" text,
	"url" text,
	"state" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	"edited_at" timestamp with time zone,
	"moderated_at" timestamp with time zone,
	"moderated_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "video_comments_iri_unique" UNIQUE("iri")
);
--> statement-breakpoint
CREATE TABLE "video_reactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"iri" text NOT NULL,
	"kind" text NOT NULL,
	"video_id" uuid NOT NULL,
	"actor_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "video_reactions_iri_unique" UNIQUE("iri")
);
--> statement-breakpoint
ALTER TABLE "remote_reports" ADD CONSTRAINT "remote_reports_target_actor_id_local_actors_id_fk" FOREIGN KEY ("target_actor_id") REFERENCES "public"."local_actors"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remote_reports" ADD CONSTRAINT "remote_reports_resolved_by_accounts_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_comments" ADD CONSTRAINT "video_comments_video_id_support_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."support_videos"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_comments" ADD CONSTRAINT "video_comments_author_id_remote_actors_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."remote_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_comments" ADD CONSTRAINT "video_comments_parent_id_video_comments_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."video_comments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_comments" ADD CONSTRAINT "video_comments_moderated_by_accounts_id_fk" FOREIGN KEY ("moderated_by") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_reactions" ADD CONSTRAINT "video_reactions_video_id_support_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."support_videos"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "video_reactions" ADD CONSTRAINT "video_reactions_actor_id_remote_actors_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."remote_actors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "remote_reports_open_idx" ON "remote_reports" USING btree ("resolved_at","created_at");--> statement-breakpoint
CREATE INDEX "remote_reports_reporter_domain_idx" ON "remote_reports" USING btree ("reporter_domain");--> statement-breakpoint
CREATE INDEX "video_comments_video_state_idx" ON "video_comments" USING btree ("video_id","state","published_at");--> statement-breakpoint
CREATE INDEX "video_comments_author_idx" ON "video_comments" USING btree ("author_id");--> statement-breakpoint
CREATE INDEX "video_comments_parent_idx" ON "video_comments" USING btree ("parent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "video_reactions_actor_video_kind_key" ON "video_reactions" USING btree ("actor_id","video_id","kind");--> statement-breakpoint
CREATE INDEX "video_reactions_video_kind_idx" ON "video_reactions" USING btree ("video_id","kind");