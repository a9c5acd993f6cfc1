-- Issue 76: a SkyfloFreeze's break_glass.approvers, kept with the freeze the engine syncs from it, so the engine tells an
-- admin before they break glass that the cluster's executor would refuse them (it honours only the people named).
ALTER TABLE "freezes" ADD COLUMN IF NOT EXISTS "break_glass_by" jsonb;
