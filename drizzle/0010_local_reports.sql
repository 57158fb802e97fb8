CREATE TABLE "report_rate_limits" (
	"address" text PRIMARY KEY NOT NULL,
	"window_started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"count" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "remote_reports" ALTER COLUMN "iri" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "remote_reports" ALTER COLUMN "reporter_iri" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "remote_reports" ALTER COLUMN "reporter_domain" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "remote_reports" ADD COLUMN "reporter_account_id" uuid;--> statement-breakpoint
ALTER TABLE "remote_reports" ADD COLUMN "source" text DEFAULT 'remote' NOT NULL;--> statement-breakpoint
ALTER TABLE "remote_reports" ADD COLUMN "category" text DEFAULT 'other' NOT NULL;--> statement-breakpoint
ALTER TABLE "remote_reports" ADD COLUMN "forwarded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "remote_reports" ADD COLUMN "action_taken" text;--> statement-breakpoint
ALTER TABLE "remote_reports" ADD CONSTRAINT "remote_reports_reporter_account_id_accounts_id_fk" FOREIGN KEY ("reporter_account_id") REFERENCES "public"."accounts"("id") ON DELETE set null ON UPDATE no action;