ALTER TABLE "users" ADD COLUMN IF NOT EXISTS "scope" jsonb;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN IF NOT EXISTS "cluster" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN IF NOT EXISTS "cluster" jsonb;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN IF NOT EXISTS "namespace" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN IF NOT EXISTS "policy" jsonb;
