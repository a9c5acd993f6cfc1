/**
 * "Verified" checks the symptom (issue 78 item 7). When the conversation was about latency or errors — the model ran
 * a PromQL query about them before proposing the change — and the cluster has a Prometheus, the verification of an
 * executed change also re-asks that query at the moment the change ran and now, and reports both beside its verdict:
 * "2/2 replicas ready" says the rollout finished, not that checkout is fast again. The verdict itself is the
 * watch-based check's; the symptom is evidence, read with its caveat (a rate over a window still holds the minutes
 * before the change).
 */
import { parsePrometheusValue, type ObservabilitySources, type TimelineEntry, type VerificationEvidence } from '@skyflo/protocol';
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';

const promqlTools = new Set(['prometheus_query', 'prometheus_query_range']);
/** What makes a query one about the symptom a person asked about: latency (durations, quantiles) or errors. */
const symptomPattern = /histogram_quantile|_duration_|latency|_seconds_(bucket|sum)|\bcode\s*=~?\s*"5|\bstatus(_code)?\s*=~?\s*"5|5\.\.|error|fail/i;
const maxSeries = 5;

/** The newest PromQL query about latency or errors the model ran in this conversation (and that answered). */
export function symptomQueryIn(timeline: readonly TimelineEntry[]): string | undefined {
  for (const entry of [...timeline].reverse()) {
    if (entry.type !== 'assistant') continue;
    for (const segment of [...entry.segments].reverse()) {
      if (segment.kind !== 'tool') continue;
      const call = segment.toolExecution;
      const query = call.args?.['query'];
      if (promqlTools.has(call.tool) && call.status === 'completed' && typeof query === 'string' && symptomPattern.test(query)) return query;
    }
  }
  return undefined;
}

const short = (value: number) => (Number.isFinite(value) ? String(Number(value.toPrecision(3))) : String(value).replace('Infinity', 'Inf'));
const labelsOf = (metric: Record<string, string> = {}) => {
  const { __name__: _, ...labels } = metric;
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return pairs.length > 0 ? `{${pairs.join(', ')}}` : '';
};

/** The longest range selector of a query in seconds ("[5m]" → 300), 0 without one. */
export function longestWindow(query: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  return Math.max(0, ...[...query.matchAll(/\[([0-9]+)(ms|s|m|h|d|w)(?::[^\]]*)?\]/g)].map((match) => Number(match[1]) * units[match[2]!]!));
}

type Samples = Map<string, number>;

async function instant(tools: Pick<ToolGateway, 'callTool'>, query: string, time: number, sources: ObservabilitySources, signal?: AbortSignal): Promise<Samples | string> {
  try {
    const outcome = await tools.callTool({ name: 'prometheus_query', args: { query, time: String(time) }, observabilitySources: sources, timeoutMs: 30_000, ...(signal ? { signal } : {}) });
    if (outcome.isError) return (outcome.text || 'the query failed').split('\n')[0]!;
    const structured = outcome.structured ?? {};
    if (structured['result_type'] === 'scalar') return new Map();
    const samples = Array.isArray(structured['result']) ? (structured['result'] as Array<{ metric?: Record<string, string>; value?: [number, string] }>) : [];
    return new Map(samples.filter((sample) => Array.isArray(sample.value)).map((sample) => [labelsOf(sample.metric), parsePrometheusValue(String(sample.value![1]))]));
  } catch (error) {
    return (error as Error).message.split('\n')[0]!;
  }
}

/**
 * The symptom's query at `before` (unix seconds: when the change ran) and now, as verification evidence; undefined
 * when neither answered anything (nothing to compare).
 */
export async function checkSymptom(tools: Pick<ToolGateway, 'callTool'>, input: { query: string; sources: ObservabilitySources; before: number; now?: number; signal?: AbortSignal }): Promise<{ evidence: VerificationEvidence; summary: string } | undefined> {
  const now = input.now ?? Date.now() / 1000;
  const [then, current] = await Promise.all([instant(tools, input.query, input.before, input.sources, input.signal), instant(tools, input.query, now, input.sources, input.signal)]);
  if (typeof then === 'string' || typeof current === 'string') {
    const reason = typeof then === 'string' ? then : (current as string);
    return { evidence: { read: `symptom: ${input.query}`, text: `The symptom could not be re-queried: ${reason}` }, summary: 'the symptom could not be re-queried' };
  }
  const keys = [...new Set([...then.keys(), ...current.keys()])].slice(0, maxSeries);
  if (keys.length === 0) return undefined;
  const lines = keys.map((key) => `${key || 'value'}: before ${then.has(key) ? short(then.get(key)!) : 'none'} → now ${current.has(key) ? short(current.get(key)!) : 'none'}`);
  const window = longestWindow(input.query);
  const elapsed = now - input.before;
  const caveat = window > elapsed ? `\nThe query's ${Math.round(window)}s window still holds ${Math.round(window - elapsed)}s from before the change: ask again after ${new Date((input.before + window) * 1000).toISOString()} for a reading of the change alone.` : '';
  const first = keys[0]!;
  return {
    evidence: { read: `symptom: ${input.query}`, text: `${lines.join('\n')}${caveat}` },
    summary: `the symptom${keys.length > 1 ? ` (${first || 'first series'})` : ''} read ${then.has(first) ? short(then.get(first)!) : 'none'} before the change and ${current.has(first) ? short(current.get(first)!) : 'none'} now${caveat ? ' (its window still holds readings from before)' : ''}`,
  };
}
