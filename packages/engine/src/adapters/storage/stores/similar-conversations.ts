/**
 * Past conversations like a new one (issue 81 item 4), by full text on the tsvectors of migration 0013 (PGlite and
 * Postgres alike): the message's words, any of them (its plainto_tsquery with `&` turned into `|`), matched against
 * the messages of the requester's own other conversations. A candidate must share at least `minShared` distinct
 * words with the message (one common word such as "pod" is no likeness), and they are ranked by how many they share,
 * then by ts_rank. Only the requester's own conversations are read: a member never gets another member's.
 */
import { sql } from 'drizzle-orm';
import type { SimilarConversation, SimilarConversations } from '../../../platform/ports/similar-conversations.ts';
import type { SkyfloDatabase } from '../database.ts';
import { rowsOf } from '../rendered-statements.ts';

export function createSimilarConversations(db: SkyfloDatabase): SimilarConversations {
  return {
    async find({ userId, excludeConversationId, text, limit, minShared }) {
      const words = text.slice(0, 2000);
      const result = await db.execute(sql`
        with q as (
          select nullif(replace(plainto_tsquery('english', ${words})::text, '&', '|'), '')::tsquery as query,
                 tsvector_to_array(to_tsvector('english', ${words})) as lexemes
        ),
        candidates as (
          select c.id, c.title, c.updated_at, max(ts_rank(m.search_vector, q.query)) as rank
          from conversations c
          join messages m on m.conversation_id = c.id
          cross join q
          where q.query is not null and c.user_id = ${userId} and c.id <> ${excludeConversationId} and m.search_vector @@ q.query
          group by c.id, c.title, c.updated_at
          order by rank desc
          limit 20
        )
        select candidates.id, candidates.title, candidates.updated_at, shared.n::int as shared
        from candidates
        cross join q
        cross join lateral (
          select count(*) as n from unnest(q.lexemes) as lexeme(word)
          where exists (select 1 from messages m2 where m2.conversation_id = candidates.id and m2.search_vector @@ quote_literal(lexeme.word)::tsquery)
        ) as shared
        where shared.n >= ${minShared}
        order by shared.n desc, candidates.rank desc
        limit ${limit}
      `);
      return rowsOf<{ id: string; title: string | null; updated_at: Date | string; shared: number }>(result).map((row) => ({ id: row.id, title: row.title, updatedAt: new Date(row.updated_at), shared: row.shared }));
    },
  };
}
