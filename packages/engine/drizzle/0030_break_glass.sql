-- Issue 76 item 6: break-glass. During a change freeze an admin may approve one call with their passkey and a reason;
-- the row records it ({reason, freeze, freeze_ends_at, by}), and the execution skips the freeze re-check for that row only.
ALTER TABLE "approvals" ADD COLUMN IF NOT EXISTS "break_glass" jsonb;
