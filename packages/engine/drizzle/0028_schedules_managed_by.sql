-- Issue 81: schedules an in-cluster install declares as SkyfloSchedule objects. managed_by names the object
-- ("SkyfloSchedule <namespace>/<name>"); such a schedule is changed only by changing the object (the API refuses edits),
-- and the unique index keeps one schedule per object however many replicas sync at once.
ALTER TABLE "schedules" ADD COLUMN IF NOT EXISTS "managed_by" text;--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "schedules_managed_by_idx" ON "schedules" USING btree ("managed_by");
