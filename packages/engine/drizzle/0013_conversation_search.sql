-- Issue 37: full-text search over conversation content (titles, user messages, answers, tool calls and their targets).
-- The searchable text is derived from the stored timeline in SQL, so the index can never disagree with what is stored
-- and existing conversations are searchable as soon as this migration runs (the generated column is computed for every
-- row when it is added: that is the backfill). Tool results and arbitrary arguments (manifests, commands) are left out:
-- only the tool's name, its title and the arguments that name a target. The timeline is stored redacted, and nothing
-- here reads anything else.
CREATE FUNCTION "skyflo_conversation_search_text"("timeline" jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT left(coalesce(string_agg(part.piece, E'\n' ORDER BY entry.position, part.position), ''), 200000)
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(timeline) = 'array' THEN timeline ELSE '[]'::jsonb END) WITH ORDINALITY AS entry(value, position)
  CROSS JOIN LATERAL (
    SELECT entry.value->>'content' AS piece, 0::bigint AS position
    WHERE jsonb_typeof(entry.value->'content') = 'string'
    UNION ALL
    SELECT concat_ws(' ',
      segment.value->'toolExecution'->>'tool',
      segment.value->'toolExecution'->>'title',
      segment.value->'toolExecution'->>'namespace',
      segment.value->'toolExecution'->'args'->>'namespace',
      segment.value->'toolExecution'->'args'->>'name',
      segment.value->'toolExecution'->'args'->>'resource_type',
      segment.value->'toolExecution'->'args'->>'kind',
      segment.value->'toolExecution'->'args'->>'release_name',
      segment.value->'toolExecution'->'args'->>'job_name'
    ), segment.position
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(entry.value->'segments') = 'array' THEN entry.value->'segments' ELSE '[]'::jsonb END) WITH ORDINALITY AS segment(value, position)
    WHERE segment.value->>'kind' = 'tool' AND jsonb_typeof(segment.value->'toolExecution') = 'object'
  ) AS part
  WHERE part.piece IS NOT NULL AND part.piece <> ''
$$;--> statement-breakpoint
-- Title weighs more than content in the ranking (ts_rank's A vs B). The text is capped above so that a very long
-- conversation never exceeds tsvector's size limit (which would fail the timeline write itself).
ALTER TABLE "conversations" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english'::regconfig, coalesce("title", '')), 'A') ||
  setweight(to_tsvector('english'::regconfig, "skyflo_conversation_search_text"("messages_json")), 'B')
) STORED;--> statement-breakpoint
CREATE INDEX "conversations_search_idx" ON "conversations" USING gin ("search_vector");
