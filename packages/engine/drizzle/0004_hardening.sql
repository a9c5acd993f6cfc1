CREATE TABLE "conversation_tombstones" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"deleted_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "exact_args_sealed" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "diff_hash" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "artifact_digest" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "resolution" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "risks" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "destructive" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "policy_reason" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "requested_by" uuid;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "automatic" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "decision_run_id" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "user_id" uuid;--> statement-breakpoint
CREATE INDEX "approvals_status_idx" ON "approvals" USING btree ("status");--> statement-breakpoint
CREATE INDEX "runs_running_user_idx" ON "runs" USING btree ("user_id") WHERE "runs"."status" = 'running';