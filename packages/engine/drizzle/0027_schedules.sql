-- Issue 81: scheduled checks. A schedule is a prompt its owner's engine runs on a cron schedule; schedule_runs holds
-- one row per tick run, and its unique (schedule_id, tick) is the lease: the engine whose INSERT … ON CONFLICT DO
-- NOTHING returns the row runs the tick, every other replica skips it (exactly once per tick across replicas).
CREATE TABLE IF NOT EXISTS "schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"schedule" text NOT NULL,
	"time_zone" text NOT NULL,
	"prompt" text NOT NULL,
	"cluster" text,
	"namespaces" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"mode" text NOT NULL,
	"notify" jsonb DEFAULT '["in_app"]'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
ALTER TABLE "schedules" ADD CONSTRAINT "schedules_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "schedules_owner_idx" ON "schedules" USING btree ("owner_id");--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "schedule_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"schedule_id" uuid NOT NULL,
	"tick" timestamp (3) with time zone NOT NULL,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"conversation_id" uuid,
	"findings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"diff" jsonb,
	"detail" text,
	"started_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp (3) with time zone
);--> statement-breakpoint
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_schedule_id_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."schedules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedule_runs" ADD CONSTRAINT "schedule_runs_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "schedule_runs_tick_idx" ON "schedule_runs" USING btree ("schedule_id","tick");
