ALTER TABLE "approvals" ADD COLUMN "before_sealed" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "undo" jsonb;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "undo_of" text;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "auto_revert" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "verification_outcome" varchar(30);--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "verification" jsonb;--> statement-breakpoint
ALTER TABLE "approvals" ADD COLUMN "verification_lease_until" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "approvals_verification_idx" ON "approvals" USING btree ("verification_outcome");
