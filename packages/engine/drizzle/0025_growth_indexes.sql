-- Issue 79: costs that stay flat as the work grows.
-- A reader who may search every conversation walks them newest first (storage/conversation-search.ts): without
-- this index that walk sorted every conversation for each page.
CREATE INDEX IF NOT EXISTS "conversations_updated_idx" ON "conversations" USING btree ("updated_at" DESC, "id" DESC);--> statement-breakpoint
-- GET /approvals/pending pages the awaiting calls oldest first by (requested_at, conversation_id, call_id): the
-- partial index holds only the queue, so a page reads its own rows however many decided calls the table keeps.
CREATE INDEX IF NOT EXISTS "approvals_awaiting_idx" ON "approvals" USING btree ("requested_at", "conversation_id", "call_id") WHERE "status" = 'awaiting';--> statement-breakpoint
-- The audit page's action filter, "chat.*" included (storage/audit-log.ts): in the C collation a prefix is a range
-- of this index on every server (a LIKE prefix can use an index only in C), whatever collation the database has.
-- Replaces the index on (action, sequence) of the default collation, which only an exact action could use.
DROP INDEX IF EXISTS "audit_events_action_idx";--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "audit_events_action_idx" ON "audit_events" USING btree ("action" COLLATE "C", "sequence");
