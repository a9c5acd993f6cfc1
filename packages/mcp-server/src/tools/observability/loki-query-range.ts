import { z } from 'zod';
import { ToolInputError } from '../../errors.ts';
import type { ToolDeps } from '../deps.ts';
import { defineTool } from '../tool-definition.ts';
import { withTextOutput } from '../output-shapes.ts';
import { querySource, resolveTime, timeField } from './data-sources.ts';
import { formatMetric } from './summarise-series.ts';

export const lokiQueryRange = defineTool({
  name: 'loki_query_range',
  title: 'Loki: Query Logs',
  description:
    'Search the cluster\'s logs in Loki with LogQL over a time range (default the last hour), e.g. {namespace="prod", app="checkout"} |= "error" != "healthz". Answers the newest lines first unless direction is forward.',
  toolset: 'observability',
  tags: ['logs'],
  inputSchema: {
    query: z.string().min(1).max(4000).describe('LogQL log query: a stream selector and line filters'),
    start: timeField('Range start (default "1h")'),
    end: timeField('Range end (default now)'),
    limit: z.number().int().min(1).max(1000).optional().describe('Most lines to return (default 100)'),
    direction: z.enum(['backward', 'forward']).optional().describe('backward (newest first, default) or forward'),
  },
  outputSchema: withTextOutput({ streams: z.number().optional(), lines: z.number().optional(), loki_url: z.string().optional() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const now = Date.now() / 1000;
    const end = resolveTime(input.end, 'end', now, now);
    const start = resolveTime(input.start, 'start', now, end - 3600);
    if (!(start < end)) throw new ToolInputError('start must be before end.');
    const ns = (seconds: number) => (BigInt(Math.round(seconds * 1000)) * 1_000_000n).toString();
    const params = new URLSearchParams({ query: input.query, start: ns(start), end: ns(end), limit: String(input.limit ?? 100), direction: input.direction ?? 'backward' });
    const answer = await querySource('loki', '/loki/api/v1/query_range', params, deps, context);
    if (!answer.ok) return answer.output;
    if (answer.json.data?.resultType !== 'streams') throw new ToolInputError(`loki_query_range answers log queries; this query gave a ${answer.json.data?.resultType} (metric queries are not shown here).`);
    const streams = answer.json.data.result as Array<{ stream: Record<string, string>; values: Array<[string, string]> }>;
    const entries = streams.flatMap((stream) => stream.values.map(([time, line]) => ({ time: BigInt(time), labels: stream.stream, line })));
    entries.sort((a, b) => (a.time === b.time ? 0 : (a.time < b.time) === (input.direction === 'forward') ? -1 : 1));
    const lines = entries.map((entry) => `${new Date(Number(entry.time / 1_000_000n)).toISOString()} ${formatMetric({ ...(entry.labels['pod'] ? { pod: entry.labels['pod'] } : entry.labels) })} ${entry.line}`);
    const header = entries.length === 0 ? 'No log lines matched in this range.' : `${entries.length} line(s) from ${streams.length} stream(s), ${input.direction === 'forward' ? 'oldest' : 'newest'} first:`;
    return { text: [header, ...lines].join('\n'), structured: { streams: streams.length, lines: entries.length, loki_url: answer.url } };
  },
});
