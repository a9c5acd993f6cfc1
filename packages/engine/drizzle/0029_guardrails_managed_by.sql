-- Issue 76 item 3: policies and change freezes declared outside the API, as SkyfloPolicy/SkyfloFreeze objects in the
-- install's namespace or as files in POLICIES_DIR. managed_by names the declaration ("SkyfloPolicy <namespace>/<name>",
-- "file <path> (SkyfloPolicy <name>)"); such a row is changed only by changing its declaration (the API refuses edits),
-- and the unique index keeps one row per declaration however many replicas sync at once. freezes.version lets a sync
-- change a freeze only if it is still the one it read (policies have had a version since 0026).
ALTER TABLE "policies" ADD COLUMN IF NOT EXISTS "managed_by" text;--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "policies_managed_by_idx" ON "policies" USING btree ("managed_by");--> statement-breakpoint
ALTER TABLE "freezes" ADD COLUMN IF NOT EXISTS "managed_by" text;--> statement-breakpoint
ALTER TABLE "freezes" ADD COLUMN IF NOT EXISTS "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "freezes_managed_by_idx" ON "freezes" USING btree ("managed_by");
