import type { ConversationPage as ClientConversationPage, SearchConversationsInput, SearchConversationsResponse } from '@skyflo/protocol/client';
import { skyflo } from '../../lib/api.ts';

/** GET /conversations (the protocol's typed client). */
export type ConversationPage = ClientConversationPage;
export type ConversationSummary = ConversationPage['data'][number];

export const PAGE_SIZE = 25;

export function listConversations(input: { cursor?: string | null; query?: string; limit?: number }): Promise<ConversationPage> {
  return skyflo.listConversations({ limit: input.limit ?? PAGE_SIZE, cursor: input.cursor ?? null, ...(input.query ? { query: input.query } : {}) });
}

/** GET /conversations/search: titles and content, newest activity first and paged by cursor, with highlight ranges (checked by the protocol's schema). */
export type SearchHit = SearchConversationsResponse['data'][number];
export function searchConversations(input: SearchConversationsInput): Promise<SearchConversationsResponse> {
  return skyflo.searchConversations(input);
}

export const renameConversation = (id: string, title: string) => skyflo.renameConversation(id, title);
export const deleteConversation = (id: string) => skyflo.deleteConversation(id);

/** Today / Yesterday / Previous 7 days / Previous 30 days / Older, by last activity. */
export function groupByDate(items: ConversationSummary[], now = new Date()): Array<{ label: string; items: ConversationSummary[] }> {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 86_400_000;
  const buckets: Array<{ label: string; from: number; items: ConversationSummary[] }> = [
    { label: 'Today', from: startOfToday, items: [] },
    { label: 'Yesterday', from: startOfToday - day, items: [] },
    { label: 'Previous 7 days', from: startOfToday - 7 * day, items: [] },
    { label: 'Previous 30 days', from: startOfToday - 30 * day, items: [] },
    { label: 'Older', from: -Infinity, items: [] },
  ];
  for (const item of items) {
    const at = Date.parse(item.updated_at);
    buckets.find((bucket) => at >= bucket.from)!.items.push(item);
  }
  return buckets.filter((bucket) => bucket.items.length > 0).map(({ label, items: grouped }) => ({ label, items: grouped }));
}
