/**
 * The figures of GET /analytics/metrics from stored usage (a pure function, tested against a hand-computed fixture).
 * Definitions:
 * - tokens and cost: every assistant answer created in the window; cost = tokens × the model's price
 *   (cached prompt tokens at the cached price); models without a price count tokens but no cost (`unpriced_models`)
 * - conversations: distinct conversations with an answer in the window
 * - TTFT/TTR: mean and 95th percentile (nearest rank) over answers that recorded them
 * - cache hit rate: cached prompt tokens / prompt tokens
 * - approvals: requested in the window; approved = decided yes (whatever the execution did), denied = decided no;
 *   acceptance rate = approved / (approved + denied)
 * - tool calls: calls that finished (completed or error); error rate = errors / calls
 */
import type { AnalyticsResponse } from '@skyflo/protocol';
import type { ApprovalOutcome, UsageRecord } from '../../platform/ports/index.ts';
import { bucketStarts, type AnalyticsWindow } from './analytics-window.ts';
import { costOf, type PriceLookup } from '@skyflo/protocol';

const approvedStatuses = new Set(['approved', 'executing', 'executed', 'failed', 'unknown']);

/** Rounded to micro-dollars, so sums do not print floating-point noise. */
const dollars = (value: number) => Math.round(value * 1_000_000) / 1_000_000;
const mean = (values: number[]) => (values.length === 0 ? null : Math.round((values.reduce((sum, value) => sum + value, 0) / values.length) * 100) / 100);
const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/** Nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it. */
export function percentile(values: number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]!;
}

interface Totals {
  cost: number;
  prompt: number;
  completion: number;
  cached: number;
  total: number;
  conversations: Set<string>;
  ttft: number[];
  ttr: number[];
}

const emptyTotals = (): Totals => ({ cost: 0, prompt: 0, completion: 0, cached: 0, total: 0, conversations: new Set(), ttft: [], ttr: [] });

function add(totals: Totals, record: UsageRecord, cost: number): void {
  totals.cost += cost;
  totals.prompt += record.promptTokens;
  totals.completion += record.completionTokens;
  totals.cached += record.cachedTokens;
  totals.total += record.totalTokens;
  totals.conversations.add(record.conversationId);
  if (record.ttftMs !== undefined) totals.ttft.push(record.ttftMs);
  if (record.ttrMs !== undefined) totals.ttr.push(record.ttrMs);
}

const view = (totals: Totals) => ({
  cost: dollars(totals.cost),
  prompt_tokens: totals.prompt,
  completion_tokens: totals.completion,
  cached_tokens: totals.cached,
  total_tokens: totals.total,
  conversations: totals.conversations.size,
  avg_ttft_ms: mean(totals.ttft),
  avg_ttr_ms: mean(totals.ttr),
});

export function computeMetrics(input: {
  window: AnalyticsWindow;
  scope: AnalyticsResponse['scope'];
  usage: UsageRecord[];
  approvals: ApprovalOutcome[];
  priceOf: PriceLookup;
}): AnalyticsResponse {
  const { window } = input;
  const summary = emptyTotals();
  const buckets = new Map<number, Totals>(bucketStarts(window).map((start) => [start, emptyTotals()]));
  const unpriced = new Set<string>();
  const tools = new Map<string, { calls: number; errors: number }>();

  for (const record of input.usage) {
    const price = record.model ? input.priceOf(record.model) : undefined;
    if (!price && record.model && record.totalTokens > 0) unpriced.add(record.model);
    const cost = price ? costOf(price, { prompt: record.promptTokens, completion: record.completionTokens, cached: record.cachedTokens }) : 0;
    add(summary, record, cost);
    const bucketStart = Math.floor(record.at.getTime() / window.bucket.ms) * window.bucket.ms;
    const bucket = buckets.get(bucketStart);
    if (bucket) add(bucket, record, cost);
    for (const call of record.tools) {
      if (call.status !== 'completed' && call.status !== 'error') continue;
      const counts = tools.get(call.tool) ?? { calls: 0, errors: 0 };
      counts.calls += 1;
      if (call.status === 'error') counts.errors += 1;
      tools.set(call.tool, counts);
    }
  }

  const approved = input.approvals.filter((approval) => approvedStatuses.has(approval.status)).length;
  const denied = input.approvals.filter((approval) => approval.status === 'denied').length;
  const toolCalls = [...tools.values()].reduce((sum, counts) => sum + counts.calls, 0);
  const toolErrors = [...tools.values()].reduce((sum, counts) => sum + counts.errors, 0);
  const totals = view(summary);

  return {
    period: { start: window.start.toISOString(), end: window.end.toISOString(), bucket: window.bucket.label, bucket_seconds: window.bucket.ms / 1000 },
    scope: input.scope,
    summary: {
      ...totals,
      p95_ttft_ms: percentile(summary.ttft, 0.95),
      p95_ttr_ms: percentile(summary.ttr, 0.95),
      avg_cost_per_conversation: totals.conversations === 0 ? null : dollars(summary.cost / totals.conversations),
      cache_hit_rate: ratio(summary.cached, summary.prompt),
      approvals_requested: input.approvals.length,
      approvals_approved: approved,
      approvals_denied: denied,
      approval_acceptance_rate: ratio(approved, approved + denied),
      tool_calls: toolCalls,
      tool_errors: toolErrors,
      tool_error_rate: ratio(toolErrors, toolCalls),
    },
    buckets: [...buckets.entries()].map(([start, bucket]) => ({ start: new Date(start).toISOString(), ...view(bucket) })),
    tools: [...tools.entries()].map(([tool, counts]) => ({ tool, ...counts })).sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool)),
    unpriced_models: [...unpriced].sort(),
  };
}
