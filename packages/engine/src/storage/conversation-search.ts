/**
 * Full-text search over conversations (issue 37), on PGlite and Postgres alike: the generated, GIN-indexed tsvectors
 * of migration 0013 (one per message, one per title, weighted above content), ranked with ts_rank, with the snippet
 * of the best-matching message from ts_headline turned into highlight ranges (search-highlights.ts). Who may read
 * what is decided by the caller.
 */
import { and, desc, eq, gte, ilike, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import type { ConversationSearchHit, ConversationSearchInput } from '../ports/index.ts';
import type { SkyfloDatabase } from './database.ts';
import { conversations, messages, users } from './schema.ts';
import { highlightStart, highlightStop, lessThanStandIn, parseHighlighted, prefixTerms, snippetOptions, substringHighlights, titleOptions } from './search-highlights.ts';

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

export function createConversationSearch(db: SkyfloDatabase) {
  return async function search(input: ConversationSearchInput): Promise<{ items: ConversationSearchHit[]; hasMore: boolean }> {
    const text = input.text?.trim() || undefined;
    const terms = text ? prefixTerms(text) : [];
    // Candidates and ranking use any word; a match needs every word somewhere in the conversation (its title or any
    // of its messages), so words from the question and from the answer find it together.
    const query = terms.length > 0 ? sql`to_tsquery('english', ${terms.join(' | ')})` : undefined;
    const owned = input.ownerId !== undefined ? eq(conversations.userId, input.ownerId) : undefined;

    // Per conversation, its best-matching message: the conversation ranks by that message plus its title.
    const matches = query
      ? db.$with('matches').as(
          db
            .select({ conversationId: messages.conversationId, rank: sql<number>`max(ts_rank(${messageVector}, ${query}))`.as('message_rank') })
            .from(messages)
            .where(
              and(
                sql`${messageVector} @@ ${query}`,
                ...(owned ? [inArray(messages.conversationId, db.select({ id: conversations.id }).from(conversations).where(owned))] : []),
              ),
            )
            .groupBy(messages.conversationId),
        )
      : undefined;

    const conditions: SQL[] = [];
    if (owned) conditions.push(owned);
    if (text) {
      const titleMatch = ilike(conversations.title, likeContains(text));
      const everyWord = terms.map((term) => {
        const word = sql`to_tsquery('english', ${term})`;
        // a stop word ("the") has no lexeme: it matches nothing and is not required
        return sql`(numnode(${word}) = 0 or ${titleVector} @@ ${word} or exists (select 1 from ${messages} where ${messages.conversationId} = ${conversations.id} and ${messageVector} @@ ${word}))`;
      });
      conditions.push(
        matches && query ? or(titleMatch, and(or(sql`${matches.conversationId} is not null`, sql`${titleVector} @@ ${query}`), ...everyWord))! : titleMatch,
      );
    }
    if (input.cluster !== undefined) conditions.push(eq(conversations.cluster, input.cluster));
    if (input.tool !== undefined) conditions.push(callsMatching({ tool: input.tool }));
    if (input.namespace !== undefined) conditions.push(or(callsMatching({ namespace: input.namespace }), callsMatching({ args: { namespace: input.namespace } }))!);
    if (input.from !== undefined) conditions.push(gte(conversations.updatedAt, input.from));
    if (input.to !== undefined) conditions.push(lte(conversations.createdAt, input.to));

    const rank = matches && query ? sql<number>`(ts_rank(${titleVector}, ${query}) + coalesce(${matches.rank}, 0))::float8` : sql<number>`0::float8`;
    const columns = {
      id: conversations.id,
      title: conversations.title,
      userId: conversations.userId,
      ownerEmail: users.email,
      createdAt: conversations.createdAt,
      updatedAt: conversations.updatedAt,
      cluster: conversations.cluster,
      rank: rank.mapWith(Number),
    };
    const base = matches ? db.with(matches).select(columns).from(conversations).leftJoin(matches, eq(matches.conversationId, conversations.id)) : db.select(columns).from(conversations);
    // One extra row tells whether more matched, without a COUNT.
    const rows = await base
      .innerJoin(users, eq(users.id, conversations.userId))
      .where(conditions.length > 0 ? and(...conditions) : undefined)
      .orderBy(...(query ? [desc(rank)] : []), desc(conversations.updatedAt), desc(conversations.id))
      .limit(input.limit + 1);
    const page = rows.slice(0, input.limit);
    const ids = page.map((row) => row.id);

    // Highlights only for the page: ts_headline reads the whole text, so it runs on these rows and no others.
    // "<" becomes its stand-in (kept as text, not read as a tag), and the markers and the stand-in already in stored
    // text are removed: stored text can neither fake a highlight nor hide a word.
    const strip = (value: SQL) => sql`translate(${value}, ${'<' + highlightStart + highlightStop + lessThanStandIn}, ${lessThanStandIn})`;
    const titles = new Map<string, string>();
    const snippets = new Map<string, string>();
    if (query && ids.length > 0) {
      const [titleRows, snippetRows] = await Promise.all([
        db
          .select({ id: conversations.id, marked: sql<string>`ts_headline('english', ${strip(sql`${conversations.title}`)}, ${query}, ${titleOptions})` })
          .from(conversations)
          .where(inArray(conversations.id, ids)),
        // the best-matching message of each conversation (ties: the earliest), chosen first so that ts_headline runs
        // once per conversation, not on every message that matched
        db
          .select({
            id: messages.conversationId,
            marked: sql<string>`ts_headline('english', ${strip(sql`skyflo_message_search_text(${messages.content}, ${messages.messageMetadata})`)}, ${query}, ${snippetOptions})`,
          })
          .from(messages)
          .where(
            inArray(
              messages.id,
              db
                .selectDistinctOn([messages.conversationId], { id: messages.id })
                .from(messages)
                .where(and(inArray(messages.conversationId, ids), sql`${messageVector} @@ ${query}`))
                .orderBy(messages.conversationId, desc(sql`ts_rank(${messageVector}, ${query})`), messages.sequence),
            ),
          ),
      ]);
      for (const row of titleRows) titles.set(row.id, row.marked);
      for (const row of snippetRows) snippets.set(row.id, row.marked);
    }

    const items = page.map(({ cluster, ...row }): ConversationSearchHit => {
      const title = titles.has(row.id) ? parseHighlighted(titles.get(row.id)!, Number.MAX_SAFE_INTEGER) : undefined;
      // ranges are over the title as stored: unusable if normalising its whitespace changed it
      let titleHighlights = title && title.text === row.title ? title.highlights : [];
      if (titleHighlights.length === 0 && text) titleHighlights = substringHighlights(row.title, text);
      const snippet = snippets.has(row.id) ? parseHighlighted(snippets.get(row.id)!, undefined, { markdown: true }) : undefined;
      return {
        ...row,
        ...(cluster ? { cluster } : {}),
        titleHighlights,
        ...(snippet && snippet.highlights.length > 0 ? { snippet } : {}),
      };
    });
    return { items, hasMore: rows.length > input.limit };
  };
}
