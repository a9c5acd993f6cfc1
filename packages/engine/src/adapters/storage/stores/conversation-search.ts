/**
 * Full-text search over conversations (issues 37 and 79), on PGlite and Postgres alike: the generated, GIN-indexed
 * tsvectors of migration 0013 (one per message, one per title), results newest activity first and paged by cursor,
 * each with its relevance (ts_rank) and the snippet of its best-matching message turned into highlight ranges
 * (search-highlights.ts). Who may read what is decided by the caller.
 *
 * Why the query is in two phases (issue 79): a one-word search took 60 s at 100k messages, because its plan ranked
 * every match and, without statistics, scanned the whole index once per conversation of the user. Its cost now has a
 * bound that no planner estimate can move:
 *  1. the walk: the caller's next conversations, newest first, a window of 2 × (page + 1), each checked on its own
 *     messages through the conversation's index (one nested loop per row of a bounded window). A common word fills
 *     the page here: its cost is bounded by the page, not by how many conversations contain the word.
 *  2. the index: when the window did not fill the page, the conversations after it whose messages or title hold one
 *     of the words (the longest: a conversation must hold every word, so any one of them names every candidate),
 *     read once from the GIN index, each looked up by its key. A rare word is found here at the cost of its matches.
 * Nothing ranks every match: relevance (`rank`) is computed for the page only. The statistics of both tables are
 * kept current (table-statistics.ts) so the planner reads the GIN index for a rare word even on PGlite.
 */
import { and, eq, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { ConversationSearchHit, ConversationSearchInput, ConversationSearchPage } from '../../../platform/ports/index.ts';
import { formatConversationCursor, type ConversationCursor } from '../../../platform/ports/conversation-cursor.ts';
import type { SkyfloDatabase } from '../database.ts';
import { rowsOf } from '../rendered-statements.ts';
import { conversations, messages, users } from '../schema.ts';
import { highlightStart, highlightStop, lessThanStandIn, parseHighlighted, prefixTerms, snippetOptions, substringHighlights, titleOptions } from './search-highlights.ts';
import { createTableStatistics, type TableStatistics } from '../table-statistics.ts';

/** Escapes LIKE wildcards so a search for "50%" means the literal text. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** A tool call in the timeline (any assistant entry's tool segment) matching `execution`: jsonb containment. */
function callsMatching(execution: Record<string, unknown>): SQL {
  return sql`${conversations.messagesJson} @> ${JSON.stringify([{ segments: [{ kind: 'tool', toolExecution: execution }] }])}::jsonb`;
}

// Generated columns of migration 0013, not in schema.ts (no other query should load them).
const messageVector = sql`"messages"."search_vector"`;
const titleVector = sql`"conversations"."title_vector"`;

/** How many conversations the walk checks before it turns to the index: twice the page (and the row that says more). */
export const walkWindowOf = (limit: number) => 2 * (limit + 1);

/** The candidate term of the index phase: the longest (longer words are rarer), ties to the first. */
export function candidateTerm(terms: readonly string[]): string {
  return terms.reduce((longest, term) => (term.length > longest.length ? term : longest), terms[0]!);
}

/** A scope's cluster pattern (`*` globs, @skyflo/safety/patterns) as a LIKE pattern: `*` is any text, everything else literal. */
export function clusterPatternAsLike(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (character) => `\\${character}`).replace(/\*/g, '%');
}

/** The owner's conversations, and (issue 74 item 8) others' pinned to a cluster one of `clusters` matches. */
function ownedOrReachable(ownerId: string, clusters: string[] | undefined): SQL {
  const own = eq(conversations.userId, ownerId);
  if (!clusters || clusters.length === 0) return own;
  return or(own, ...clusters.map((pattern) => sql`${conversations.cluster} like ${clusterPatternAsLike(pattern)} escape '\\'`))!;
}

/** Keyset position: strictly after `cursor` in (updated_at desc, id desc) order. */
function after(cursor: ConversationCursor): SQL {
  return or(lt(conversations.updatedAt, cursor.updatedAt), and(eq(conversations.updatedAt, cursor.updatedAt), lt(conversations.id, cursor.id)))!;
}

export interface ConversationSearchOptions {
  /** keeps the planner's statistics of conversations and messages current; default: checked here before each search */
  statistics?: TableStatistics;
}

type Position = { id: string; updatedAt: Date };

export function createConversationSearch(db: SkyfloDatabase, options: ConversationSearchOptions = {}) {
  const statistics = options.statistics ?? createTableStatistics(db, { tables: ['conversations', 'messages'] });

  /**
   * Whether the conversation whose id and title vector are given holds every term, in its title or any message. Each
   * message check reads that conversation's own messages through messages_conversation_entry_idx: ts_match_vq is
   * `@@` spelled as a function, which no index matches, so the planner cannot swap in a scan of every match.
   */
  const holdsEvery = (terms: readonly string[], conversationId: SQL, title: SQL) =>
    sql.join(
      terms.map(
        (term) =>
          sql`(${title} @@ ${term}::tsquery or exists (select 1 from ${messages} m where m.conversation_id = ${conversationId} and ts_match_vq(m.search_vector, ${term}::tsquery)))`,
      ),
      sql` and `,
    );

  return async function search(input: ConversationSearchInput): Promise<ConversationSearchPage> {
    const text = input.text?.trim() || undefined;
    const filters: SQL[] = [];
    if (input.ownerId !== undefined) filters.push(ownedOrReachable(input.ownerId, input.othersInClusters));
    if (input.cluster !== undefined) filters.push(eq(conversations.cluster, input.cluster));
    if (input.tool !== undefined) filters.push(callsMatching({ tool: input.tool }));
    if (input.namespace !== undefined) filters.push(or(callsMatching({ namespace: input.namespace }), callsMatching({ args: { namespace: input.namespace } }))!);
    if (input.from !== undefined) filters.push(gte(conversations.updatedAt, input.from));
    if (input.to !== undefined) filters.push(lte(conversations.createdAt, input.to));
    const from = input.cursor ? [after(input.cursor)] : [];
    const wanted = input.limit + 1;

    let positions: Position[];
    let rankQuery: SQL | undefined;
    if (!text) {
      // Filters only: newest first, one extra row says whether more matched.
      positions = await db
        .select({ id: conversations.id, updatedAt: conversations.updatedAt })
        .from(conversations)
        .where(and(...filters, ...from))
        .orderBy(sql`${conversations.updatedAt} desc`, sql`${conversations.id} desc`)
        .limit(wanted);
    } else {
      // Each word a prefix, normalised by the database's dictionary; a stop word ("the") has none and is not required.
      const typed = prefixTerms(text);
      const normalised = typed.length === 0 ? [] : rowsOf<{ query: string }>(await db.execute(sql`select to_tsquery('english', term)::text as query from unnest(${sql`array[${sql.join(typed.map((term) => sql`${term}`), sql`, `)}]::text[]`}) as term`));
      const terms = [...new Set(normalised.map((row) => row.query).filter((query) => query.trim() !== ''))];
      if (terms.length === 0) return { items: [], hasMore: false, nextCursor: null };
      rankQuery = sql`to_tsquery('english', ${typed.join(' | ')})`;
      await statistics.ensureCurrent();

      // 1. the walk
      const window = rowsOf<{ id: string; updated_ms: number; matched: boolean }>(
        await db.execute(sql`
          select w.id, (extract(epoch from w.updated_at) * 1000)::float8 as updated_ms, ${holdsEvery(terms, sql`w.id`, sql`w.title_vector`)} as matched
          from (
            select ${conversations.id} as id, ${conversations.updatedAt} as updated_at, ${titleVector} as title_vector
            from ${conversations}
            where ${and(sql`true`, ...filters, ...from)}
            order by ${conversations.updatedAt} desc, ${conversations.id} desc
            limit ${walkWindowOf(input.limit)}
          ) w
          order by w.updated_at desc, w.id desc`),
      );
      positions = window.filter((row) => row.matched).map(toPosition);
      const windowEnd = window.length === walkWindowOf(input.limit) ? toPosition(window[window.length - 1]!) : undefined;

      // 2. the index, after the window, when the walk neither filled the page nor reached the last conversation
      if (positions.length < wanted && windowEnd) {
        const candidate = candidateTerm(terms);
        const others = terms.filter((term) => term !== candidate);
        const indexed = rowsOf<{ id: string; updated_ms: number }>(
          await db.execute(sql`
            with hits as materialized (
              select m.conversation_id as id from ${messages} m where m.search_vector @@ ${candidate}::tsquery
              union
              select t.id from ${conversations} t where t.title_vector @@ ${candidate}::tsquery
            )
            select c.id, (extract(epoch from c.updated_at) * 1000)::float8 as updated_ms
            from hits cross join lateral (
              -- LIMIT keeps this a lookup by key per hit: the planner cannot turn it into a scan of every conversation
              select ${conversations.id} as id, ${conversations.updatedAt} as updated_at,
                     ${others.length > 0 ? holdsEvery(others, sql`${conversations.id}`, titleVector) : sql`true`} as matched
              from ${conversations}
              where ${and(eq(conversations.id, sql`hits.id`), ...filters, after(windowEnd))}
              limit 1
            ) c
            where c.matched
            order by c.updated_at desc, c.id desc
            limit ${wanted - positions.length}`),
        );
        positions = [...positions, ...indexed.map(toPosition)];
      }
    }

    const page = positions.slice(0, input.limit);
    const hasMore = positions.length > input.limit;
    const last = page[page.length - 1];
    const items = await describe(page.map((position) => position.id), text, rankQuery);
    return { items, hasMore, nextCursor: hasMore && last ? formatConversationCursor(last) : null };
  };

  /** The page's conversations in `ids` order, with owner, rank and highlights (ts_headline runs on these rows only). */
  async function describe(ids: string[], text: string | undefined, query: SQL | undefined): Promise<ConversationSearchHit[]> {
    if (ids.length === 0) return [];
    // "<" becomes its stand-in (kept as text, not read as a tag), and the markers and the stand-in already in stored
    // text are removed: stored text can neither fake a highlight nor hide a word.
    const strip = (value: SQL) => sql`translate(${value}, ${'<' + highlightStart + highlightStop + lessThanStandIn}, ${lessThanStandIn})`;
    const [rows, snippetRows] = await Promise.all([
      db
        .select({
          id: conversations.id,
          title: conversations.title,
          userId: conversations.userId,
          ownerEmail: users.email,
          createdAt: conversations.createdAt,
          updatedAt: conversations.updatedAt,
          cluster: conversations.cluster,
          titleRank: (query ? sql<number>`ts_rank(${titleVector}, ${query})::float8` : sql<number>`0::float8`).mapWith(Number),
          markedTitle: query ? sql<string>`ts_headline('english', ${strip(sql`${conversations.title}`)}, ${query}, ${titleOptions})` : sql<string>`''`,
        })
        .from(conversations)
        .innerJoin(users, eq(users.id, conversations.userId))
        .where(inArray(conversations.id, ids)),
      // the best-matching message of each conversation (ties: the earliest), chosen first so that ts_headline runs
      // once per conversation; ts_match_vq again, so the rows come from these conversations' own messages
      query
        ? db
            .select({
              id: sql<string>`best.conversation_id`,
              rank: sql<number>`best.rank`.mapWith(Number),
              marked: sql<string>`ts_headline('english', ${strip(sql`skyflo_message_search_text(best.content, best.message_metadata)`)}, ${query}, ${snippetOptions})`,
            })
            .from(
              sql`(select distinct on (${messages.conversationId}) ${messages.conversationId} as conversation_id, ${messages.content} as content,
                     ${messages.messageMetadata} as message_metadata, ts_rank(${messageVector}, ${query})::float8 as rank
                   from ${messages}
                   where ${inArray(messages.conversationId, ids)} and ts_match_vq(${messageVector}, ${query})
                   order by ${messages.conversationId}, ts_rank(${messageVector}, ${query}) desc, ${messages.sequence}) as best`,
            )
        : Promise.resolve([]),
    ]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const snippets = new Map(snippetRows.map((row) => [row.id, row]));
    return ids.flatMap((id): ConversationSearchHit[] => {
      const row = byId.get(id);
      if (!row) return [];
      const { cluster, titleRank, markedTitle, ...summary } = row;
      const title = query ? parseHighlighted(markedTitle, Number.MAX_SAFE_INTEGER) : undefined;
      // ranges are over the title as stored: unusable if normalising its whitespace changed it
      let titleHighlights = title && title.text === row.title ? title.highlights : [];
      if (titleHighlights.length === 0 && text) titleHighlights = substringHighlights(row.title, text);
      const best = snippets.get(id);
      const snippet = best ? parseHighlighted(best.marked, undefined, { markdown: true }) : undefined;
      return [
        {
          ...summary,
          ...(cluster ? { cluster } : {}),
          rank: titleRank + (best?.rank ?? 0),
          titleHighlights,
          ...(snippet && snippet.highlights.length > 0 ? { snippet } : {}),
        },
      ];
    });
  }
}

/** updated_at travels as epoch milliseconds: exact (the column keeps milliseconds) and read alike by both drivers. */
function toPosition(row: { id: string; updated_ms: number }): Position {
  return { id: row.id, updatedAt: new Date(Number(row.updated_ms)) };
}
