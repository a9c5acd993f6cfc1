/**
 * GET /conversations/search (issues 37, 79): full-text search over the titles and content of the conversations the
 * caller may read, newest activity first, with filters, paged by cursor (`next_cursor` → `cursor`). Highlights are ranges over plain text, never markup, so a client renders
 * them as elements and nothing from a conversation is interpreted as HTML.
 */
import { conversationSummarySchema } from './api.ts';
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

/** A date (YYYY-MM-DD, UTC: `from` at its start, `to` at its end) or an ISO 8601 date-time with its offset. */
const dateBound = (name: string) =>
  z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: `${name} must be a date (YYYY-MM-DD) or an ISO 8601 date-time with offset` });

export const searchConversationsQuerySchema = deferred(() => z
  .object({
    /** words to find in titles, messages, answers and tool calls (each word a prefix; every word must appear in the conversation) */
    q: z.string().trim().min(2, 'q must be at least 2 characters').max(200, 'q may be at most 200 characters').optional(),
    /** the cluster (kubeconfig context name) the conversation is pinned to */
    cluster: z.string().min(1).max(253, 'cluster may be at most 253 characters').optional(),
    /** a tool call of the conversation targets this namespace */
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'namespace must be a Kubernetes namespace name (lowercase letters, digits and -, at most 63)')
      .optional(),
    /** the conversation called this tool (e.g. k8s_rollout_restart) */
    tool: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'tool must be a tool name (letters, digits, _ . : -)').optional(),
    /** active on or after (last activity) */
    from: dateBound('from').optional(),
    /** active on or before (created) */
    to: dateBound('to').optional(),
    limit: z.coerce.number({ error: 'limit must be a number' }).int().min(1, 'limit must be 1 to 50').max(50, 'limit must be 1 to 50').default(20),
    /** the next page: `next_cursor` of the previous answer, as is (with the same q and filters) */
    cursor: z.string().min(1).max(100, 'cursor: not a cursor returned by this API (use next_cursor as is)').optional(),
  })
  .superRefine((query, context) => {
    if (query.q === undefined && query.cluster === undefined && query.namespace === undefined && query.tool === undefined && query.from === undefined && query.to === undefined) {
      context.addIssue({ code: 'custom', path: ['q'], message: 'give q (at least 2 characters) or a filter: cluster, namespace, tool, from, to' });
    }
    if (query.from !== undefined && query.to !== undefined && searchDateBound(query.from, 'from') > searchDateBound(query.to, 'to')) {
      context.addIssue({ code: 'custom', path: ['from'], message: 'from must not be after to' });
    }
  }));
export type SearchConversationsQuery = z.infer<typeof searchConversationsQuerySchema>;

/** The instant a `from` or `to` bound stands for: a bare date covers that whole day (UTC). */
export function searchDateBound(value: string, side: 'from' | 'to'): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(`${value}T${side === 'from' ? '00:00:00.000' : '23:59:59.999'}Z`);
  return new Date(value);
}

/** [start, end) in UTF-16 code units of the text they belong to. */
export const highlightRangesSchema = deferred(() => z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])));
export type HighlightRanges = z.infer<typeof highlightRangesSchema>;

export const conversationSearchHitSchema = deferred(() => conversationSummarySchema.extend({
  /** who owns it: someone else's conversation appears for an admin (or an approver under APPROVAL_POLICY=approver) */
  owner: z.object({ id: z.string(), email: z.string() }),
  owned_by_me: z.boolean(),
  /** relevance (ts_rank of the title plus the best message); 0 when no text was searched. Hits are ordered by activity, not by it */
  rank: z.number(),
  title_highlights: highlightRangesSchema,
  /** the passage of the content that matched, with the matched words as ranges; absent when only the title matched */
  snippet: z.object({ text: z.string(), highlights: highlightRangesSchema }).optional(),
}));
export type ConversationSearchHit = z.infer<typeof conversationSearchHitSchema>;

export const searchConversationsResponseSchema = deferred(() => z.object({
  status: z.literal('success'),
  data: z.array(conversationSearchHitSchema),
  /** more conversations matched than `limit` */
  has_more: z.boolean(),
  /** pass as `cursor` (with the same q and filters) for the next page; null on the last page */
  next_cursor: z.string().nullable(),
}));
export type SearchConversationsResponse = z.infer<typeof searchConversationsResponseSchema>;
