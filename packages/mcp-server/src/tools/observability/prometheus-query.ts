import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { withTextOutput } from '../output-shapes.ts';
import { parsePrometheusValue } from '@skyflo/protocol';
import { querySource, resolveTime, timeField, warningLines } from './data-sources.ts';
import { formatNumber, summariseInstant, type InstantSample } from './summarise-series.ts';

/** Share of the output budget the model's summary may use; the rest is left for the structured result. */
export const summaryShare = 0.5;

export const prometheusQuery = defineTool({
  name: 'prometheus_query',
  title: 'Prometheus: Instant Query',
  description:
    'Evaluate a PromQL expression at one instant (default now) on the cluster\'s Prometheus, e.g. sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="prod"}[5m])). Answers one line per series, largest first.',
  toolset: 'observability',
  tags: ['metrics'],
  inputSchema: {
    query: z.string().min(1).max(4000).describe('PromQL expression'),
    time: timeField('Evaluation instant (default now)'),
  },
  outputSchema: withTextOutput({
    query: z.string().optional(),
    result_type: z.string().optional(),
    result: z.array(z.json()).optional().describe('the samples as Prometheus answered them ({metric, value} each)'),
    warnings: z.array(z.string()).optional().describe('what Prometheus (or Thanos/Mimir) warned about this answer, e.g. a partial response'),
    prometheus_url: z.string().optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const now = Date.now() / 1000;
    const params = new URLSearchParams({ query: input.query, time: String(resolveTime(input.time, 'time', now, now)) });
    const answer = await querySource('prometheus', '/api/v1/query', params, deps, context);
    if (!answer.ok) return answer.output;
    const { resultType, result } = answer.json.data ?? {};
    const budget = Math.floor(deps.settings.outputBudgetBytes * summaryShare);
    let text: string;
    if (resultType === 'vector') text = summariseInstant(result as InstantSample[], { budgetBytes: budget });
    else if (resultType === 'scalar' || resultType === 'string') text = `${resultType}: ${resultType === 'scalar' ? formatNumber(parsePrometheusValue(String(result?.[1]))) : result?.[1]}`;
    else text = `The query answered a ${resultType}; use prometheus_query_range for series over time.`;
    const samples = Array.isArray(result) && resultType === 'vector' ? result.slice(0, 200) : [];
    text = [text, ...warningLines('prometheus', answer.warnings)].join('\n');
    return { text, structured: { query: input.query, result_type: resultType, result: samples, ...(answer.warnings.length > 0 ? { warnings: answer.warnings } : {}), prometheus_url: answer.url } };
  },
});
