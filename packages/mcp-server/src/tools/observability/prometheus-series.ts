import { z } from 'zod';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { withTextOutput } from '../output-shapes.ts';
import { querySource, resolveTime, timeField, warningLines } from './data-sources.ts';
import { formatMetric } from './summarise-series.ts';

const maxListed = 200;

export const prometheusSeries = defineTool({
  name: 'prometheus_series',
  title: 'Prometheus: Series and Labels',
  description:
    'Discover what the cluster\'s Prometheus has: with `match` (selectors such as {namespace="prod", __name__=~"http_.*"}) the series; with `label` the values of that label (e.g. __name__ for metric names); with neither, the label names.',
  toolset: 'observability',
  tags: ['metrics'],
  inputSchema: {
    match: z.array(z.string().min(1).max(1000)).max(10).optional().describe('Series selectors'),
    label: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/).optional().describe('List the values of this label (optionally among the `match` series)'),
    start: timeField('Look from (default "1h")'),
    end: timeField('Look until (default now)'),
  },
  outputSchema: withTextOutput({ data: z.array(z.json()).optional().describe('the label sets (or label values) as Prometheus answered them'), warnings: z.array(z.string()).optional().describe('what Prometheus warned about this answer') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const now = Date.now() / 1000;
    const end = resolveTime(input.end, 'end', now, now);
    const params = new URLSearchParams({ start: String(resolveTime(input.start, 'start', now, end - 3600)), end: String(end) });
    for (const selector of input.match ?? []) params.append('match[]', selector);
    const path = input.label ? `/api/v1/label/${encodeURIComponent(input.label)}/values` : input.match?.length ? '/api/v1/series' : '/api/v1/labels';
    const answer = await querySource('prometheus', path, params, deps, context);
    if (!answer.ok) return answer.output;
    const data = (Array.isArray(answer.json.data) ? answer.json.data : []) as unknown[];
    const what = input.label ? `value(s) of ${input.label}` : input.match?.length ? 'series' : 'label name(s)';
    const lines = data.slice(0, maxListed).map((entry) => (typeof entry === 'string' ? entry : formatMetric(entry as Record<string, string>)));
    const more = data.length > maxListed ? [`… and ${data.length - maxListed} more (narrow the match)`] : [];
    return {
      text: [`${data.length} ${what}:`, ...lines, ...more, ...warningLines('prometheus', answer.warnings)].join('\n'),
      structured: { data: data.slice(0, maxListed), ...(answer.warnings.length > 0 ? { warnings: answer.warnings } : {}) },
    };
  },
});
