/**
 * Reads what the engine already stores for analytics: each assistant answer's token_usage (model, tokens, ttft_ms,
 * ttr_ms — accumulated from token.usage/ttft/completed events, timeline/apply-event.ts) and its tool segments, and
 * the approvals table. Only the fields needed are selected: tool arguments and results stay in the database.
 */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { AnalyticsReader, ApprovalRecord } from '../../../platform/ports/index.ts';
import type { SkyfloDatabase } from '../database.ts';
import { approvals, conversations, messages } from '../schema.ts';

const numberOf = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const optionalNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export function createAnalyticsReader(db: SkyfloDatabase): AnalyticsReader {
  return {
    async usage({ from, to, userId }) {
      const rows = await db
        .select({
          conversationId: messages.conversationId,
          userId: conversations.userId,
          at: messages.createdAt,
          usage: messages.tokenUsage,
          // Two arrays from the same path, so their items pair up by position.
          tools: sql<unknown[] | null>`jsonb_path_query_array(${messages.messageMetadata}, '$.segments[*] ? (@.kind == "tool").toolExecution.tool')`,
          statuses: sql<unknown[] | null>`jsonb_path_query_array(${messages.messageMetadata}, '$.segments[*] ? (@.kind == "tool").toolExecution.status')`,
        })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(and(eq(messages.role, 'assistant'), gte(messages.createdAt, from), lt(messages.createdAt, to), userId ? eq(conversations.userId, userId) : undefined));
      return rows.map((row) => {
        const usage = row.usage ?? {};
        const tools = Array.isArray(row.tools) ? row.tools : [];
        const statuses = Array.isArray(row.statuses) ? row.statuses : [];
        const model = typeof usage['model'] === 'string' ? usage['model'] : undefined;
        const ttftMs = optionalNumber(usage['ttft_ms']);
        const ttrMs = optionalNumber(usage['ttr_ms']);
        return {
          conversationId: row.conversationId,
          userId: row.userId,
          at: row.at,
          ...(model ? { model } : {}),
          promptTokens: numberOf(usage['prompt_tokens']),
          completionTokens: numberOf(usage['completion_tokens']),
          cachedTokens: numberOf(usage['cached_tokens']),
          totalTokens: numberOf(usage['total_tokens']),
          ...(ttftMs !== undefined ? { ttftMs } : {}),
          ...(ttrMs !== undefined ? { ttrMs } : {}),
          tools: tools.map((tool, index) => ({ tool: String(tool), status: String(statuses[index] ?? '') })),
        };
      });
    },

    async approvals({ from, to, userId }) {
      // The requester is the conversation's owner; rows from before requested_by existed fall back to that owner.
      const rows = await db
        .select({ requestedAt: approvals.requestedAt, status: approvals.status, tool: approvals.tool })
        .from(approvals)
        .leftJoin(conversations, eq(conversations.id, approvals.conversationId))
        .where(and(gte(approvals.requestedAt, from), lt(approvals.requestedAt, to), userId ? sql`coalesce(${approvals.requestedBy}, ${conversations.userId}) = ${userId}` : undefined));
      return rows.map((row) => ({ requestedAt: row.requestedAt, status: row.status as ApprovalRecord['status'], tool: row.tool }));
    },
  };
}
