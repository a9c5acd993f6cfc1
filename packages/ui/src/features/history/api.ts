import { api } from '../../lib/api.ts';

/** GET /conversations list item (ConversationSummary in @skyflo/protocol). */
export interface ConversationSummary {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
}
export interface ConversationPage {
  status: 'success';
  data: ConversationSummary[];
  pagination: { limit: number; next_cursor: string | null; has_more: boolean };
}

export const PAGE_SIZE = 25;

export function listConversations(input: { cursor?: string | null; query?: string; limit?: number }): Promise<ConversationPage> {
  const params = new URLSearchParams({ limit: String(input.limit ?? PAGE_SIZE) });
  if (input.cursor) params.set('cursor', input.cursor);
  if (input.query) params.set('query', input.query);
  return api<ConversationPage>(`/conversations?${params.toString()}`);
}

export const renameConversation = (id: string, title: string) => api(`/conversations/${id}`, { method: 'PATCH', body: { title } });
export const deleteConversation = (id: string) => api(`/conversations/${id}`, { method: 'DELETE' });

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
