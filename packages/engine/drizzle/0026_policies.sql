-- Issue 76: policies as code. Each policy is a CEL expression over a proposed call (docs/policies.md) and an effect;
-- `version` counts its changes, so a verdict recorded with a call names the exact rule that matched.
CREATE TABLE IF NOT EXISTS "policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"expression" text NOT NULL,
	"effect" jsonb NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "policies_name_idx" ON "policies" USING btree ("name");--> statement-breakpoint
-- The policies that matched a call (name, version, effect, message), recorded with it when it was proposed.
ALTER TABLE "approvals" ADD COLUMN IF NOT EXISTS "policy_verdicts" jsonb;--> statement-breakpoint
-- require_approvers: the approvals given so far ([{user_id, at}]) while the call still awaits more.
ALTER TABLE "approvals" ADD COLUMN IF NOT EXISTS "co_approvals" jsonb;
--> statement-breakpoint
-- Change freezes: mutating calls in scope are refused during the window (one-off, or repeated daily/weekly at the
-- same wall-clock times in time_zone).
CREATE TABLE IF NOT EXISTS "freezes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"starts_at" timestamp (3) with time zone NOT NULL,
	"ends_at" timestamp (3) with time zone NOT NULL,
	"recurrence" varchar(10),
	"time_zone" text,
	"clusters" jsonb,
	"namespaces" jsonb,
	"reason" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "freezes_name_idx" ON "freezes" USING btree ("name");
