/**
 * Full-text search over conversations (issue 37), on PGlite and Postgres alike: the generated, GIN-indexed
 * `search_vector` column (migration 0013: title weighted above content), ranked with ts_rank, with snippets from
 * ts_headline turned into highlight ranges (search-highlights.ts). Who may read what is decided by the caller.
 */
import { and, desc, eq, gte, ilike, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import type { ConversationSearchHit, ConversationSearchInput } from '../ports/index.ts';
import type { SkyfloDatabase } from './database.ts';
import { conversations, users } from './schema.ts';
import { highlightStart, highlightStop, lessThanStandIn, parseHighlighted, prefixQuery, snippetOptions, substringHighlights, titleOptions } from './search-highlights.ts';

/** Escapes LIKE wildcards so a search for "50%" means the literal text. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/** A tool call in the timeline (any assistant entry's tool segment) matching `execution`: jsonb containment. */
function callsMatching(execution: Record<string, unknown>): SQL {
  return sql`${conversations.messagesJson} @> ${JSON.stringify([{ segments: [{ kind: 'tool', toolExecution: execution }] }])}::jsonb`;
}

export function createConversationSearch(db: SkyfloDatabase) {
  return async function search(input: ConversationSearchInput): Promise<{ items: ConversationSearchHit[]; hasMore: boolean }> {
    const text = input.text?.trim() || undefined;
    const tsquery = text ? prefixQuery(text) : undefined;
    const query = tsquery ? sql`to_tsquery('english', ${tsquery})` : undefined;
    const conditions: SQL[] = [];
    if (input.ownerId !== undefined) conditions.push(eq(conversations.userId, input.ownerId));
    if (text) {
      const titleMatch = ilike(conversations.title, likeContains(text));
      conditions.push(query ? or(sql`"conversations"."search_vector" @@ ${query}`, titleMatch)! : titleMatch);
    }
    if (input.cluster !== undefined) conditions.push(eq(conversations.cluster, input.cluster));
    if (input.tool !== undefined) conditions.push(callsMatching({ tool: input.tool }));
    if (input.namespace !== undefined) conditions.push(or(callsMatching({ namespace: input.namespace }), callsMatching({ args: { namespace: input.namespace } }))!);
    if (input.from !== undefined) conditions.push(gte(conversations.updatedAt, input.from));
    if (input.to !== undefined) conditions.push(lte(conversations.createdAt, input.to));

    const rank = query ? sql<number>`ts_rank("conversations"."search_vector", ${query})` : sql<number>`0`;
    // One extra row tells whether more matched, without a COUNT.
    const rows = await db
      .select({
        id: conversations.id,
        title: conversations.title,
        userId: conversations.userId,
        ownerEmail: users.email,
        createdAt: conversations.createdAt,
        updatedAt: conversations.updatedAt,
        cluster: conversations.cluster,
        rank: sql<number>`${rank}::float8`.mapWith(Number),
      })
      .from(conversations)
      .innerJoin(users, eq(users.id, conversations.userId))
      .where(conditions.length > 0 ? and(...conditions) : undefined)
      .orderBy(...(query ? [desc(rank)] : []), desc(conversations.updatedAt), desc(conversations.id))
      .limit(input.limit + 1);
    const page = rows.slice(0, input.limit);

    // Snippets only for the page: ts_headline reads the whole text, so it runs on these rows and no others.
    const headlines = new Map<string, { title: string; snippet: string }>();
    if (query && page.length > 0) {
      // "<" becomes its stand-in (kept, not read as a tag), and the markers and the stand-in already in stored text
      // are removed: stored text can neither fake a highlight nor hide a word
      const strip = (value: SQL) => sql`translate(${value}, ${'<' + highlightStart + highlightStop + lessThanStandIn}, ${lessThanStandIn})`;
      const marked = await db
        .select({
          id: conversations.id,
          title: sql<string>`ts_headline('english', ${strip(sql`${conversations.title}`)}, ${query}, ${titleOptions})`,
          snippet: sql<string>`ts_headline('english', ${strip(sql`skyflo_conversation_search_text(${conversations.messagesJson})`)}, ${query}, ${snippetOptions})`,
        })
        .from(conversations)
        .where(inArray(conversations.id, page.map((row) => row.id)));
      for (const row of marked) headlines.set(row.id, row);
    }

    const items = page.map(({ cluster, ...row }): ConversationSearchHit => {
      const marked = headlines.get(row.id);
      const title = marked ? parseHighlighted(marked.title, Number.MAX_SAFE_INTEGER) : undefined;
      // ranges are over the title as stored: unusable if normalising its whitespace changed it
      let titleHighlights = title && title.text === row.title ? title.highlights : [];
      if (titleHighlights.length === 0 && text) titleHighlights = substringHighlights(row.title, text);
      const snippet = marked ? parseHighlighted(marked.snippet, undefined, { markdown: true }) : undefined;
      return {
        ...row,
        ...(cluster ? { cluster } : {}),
        titleHighlights,
        // a passage without a highlight is only the content's opening: the match was in the title
        ...(snippet && snippet.highlights.length > 0 ? { snippet } : {}),
      };
    });
    return { items, hasMore: rows.length > input.limit };
  };
}
