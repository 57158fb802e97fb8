CREATE TABLE "fedify_kv" (
	"key" text COLLATE "C" PRIMARY KEY NOT NULL,
	"value" json NOT NULL,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "fedify_messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "fedify_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"queue" text NOT NULL,
	"message" json NOT NULL,
	"ordering_key" text,
	"deliver_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "fedify_kv_expires_at_idx" ON "fedify_kv" USING btree ("expires_at") WHERE expires_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX "fedify_messages_queue_deliver_at_idx" ON "fedify_messages" USING btree ("queue","deliver_at","id");--> statement-breakpoint
CREATE INDEX "fedify_messages_queue_ordering_key_idx" ON "fedify_messages" USING btree ("queue","ordering_key","id") WHERE ordering_key IS NOT NULL;