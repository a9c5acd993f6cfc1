-- Issue 37: full-text search over conversation content: titles, user messages, answers, tool calls and their targets.
-- Each timeline entry's row in `messages` (the engine keeps it equal to the timeline, rewriting only the entries that
-- changed) carries a generated, GIN-indexed tsvector, so a timeline write re-indexes only what it changed; the
-- title has its own, weighted above content. Adding the generated columns computes them for every existing row:
-- that is the backfill, and existing conversations are searchable as soon as this migration ran.
-- What is indexed: the entry's text, and of each tool call its name, its title and the arguments that name a target.
-- Tool results and other arguments (manifests, commands) are not. The timeline is stored redacted and nothing else
-- is read here. The system welcome row (role "system") is not indexed: every conversation would match its words.
CREATE FUNCTION "skyflo_message_search_text"("content" text, "metadata" jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT left(concat_ws(E'\n', nullif(content, ''), (
    SELECT string_agg(concat_ws(' ',
      segment.value->'toolExecution'->>'tool',
      segment.value->'toolExecution'->>'title',
      segment.value->'toolExecution'->>'namespace',
      segment.value->'toolExecution'->'args'->>'namespace',
      segment.value->'toolExecution'->'args'->>'name',
      segment.value->'toolExecution'->'args'->>'resource_type',
      segment.value->'toolExecution'->'args'->>'kind',
      segment.value->'toolExecution'->'args'->>'release_name',
      segment.value->'toolExecution'->'args'->>'job_name'
    ), E'\n' ORDER BY segment.position)
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(metadata->'segments') = 'array' THEN metadata->'segments' ELSE '[]'::jsonb END) WITH ORDINALITY AS segment(value, position)
    WHERE segment.value->>'kind' = 'tool' AND jsonb_typeof(segment.value->'toolExecution') = 'object'
  )), 100000)
$$;--> statement-breakpoint
-- Capped above so that one very long answer never exceeds tsvector's size limit (which would fail the timeline write).
ALTER TABLE "messages" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS (
  CASE WHEN "role" IN ('user', 'assistant') THEN to_tsvector('english'::regconfig, "skyflo_message_search_text"("content", "message_metadata")) ELSE ''::tsvector END
) STORED;--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search_vector");--> statement-breakpoint
-- Weight A (content is D): ts_rank counts a word of the title ten times a word of a message.
ALTER TABLE "conversations" ADD COLUMN "title_vector" tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, coalesce("title", '')), 'A')) STORED;--> statement-breakpoint
CREATE INDEX "conversations_title_search_idx" ON "conversations" USING gin ("title_vector");
