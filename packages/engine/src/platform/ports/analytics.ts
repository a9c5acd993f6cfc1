/** Stored usage read back for GET /analytics/metrics. */
import type { ApprovalRecord } from './approvals.ts';

/** One assistant answer's usage (messages.token_usage) and the final state of the tool calls it made. */
export interface UsageRecord {
  conversationId: string;
  userId: string;
  at: Date;
  model?: string;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  ttftMs?: number;
  ttrMs?: number;
  tools: Array<{ tool: string; status: string }>;
}

/** One approval request and how it ended. */
export interface ApprovalOutcome {
  requestedAt: Date;
  status: ApprovalRecord['status'];
  tool: string;
}

export interface AnalyticsReader {
  /** assistant answers created in [from, to), of one user's conversations when `userId` is given */
  usage(input: { from: Date; to: Date; userId?: string }): Promise<UsageRecord[]>;
  /** approvals requested in [from, to), by one user when `userId` is given */
  approvals(input: { from: Date; to: Date; userId?: string }): Promise<ApprovalOutcome[]>;
}
