import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { withTextOutput } from '../output-shapes.ts';
import { querySource, resolveTime, timeField, warningLines } from './data-sources.ts';
import { summaryShare } from './prometheus-query.ts';
import { formatDuration, formatTime } from './series-coverage.ts';
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
  outputSchema: withTextOutput({
    streams: z.number().optional(),
    lines: z.number().optional(),
    limit_reached: z.boolean().optional().describe('Loki returned `limit` lines: lines beyond them in the range were not read'),
    warnings: z.array(z.string()).optional().describe('what Loki warned about this answer'),
    loki_url: z.string().optional(),
  }),
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
    const streams = (Array.isArray(answer.json.data.result) ? answer.json.data.result : []) as Array<{ stream: Record<string, string>; values: Array<[string, string]> }>;
    const forward = input.direction === 'forward';
    const limit = input.limit ?? 100;
    const entries = streams.flatMap((stream) => (stream.values ?? []).map(([time, line]) => ({ time: BigInt(time), labels: stream.stream ?? {}, line })));
    entries.sort((a, b) => (a.time === b.time ? 0 : (a.time < b.time) === forward ? -1 : 1));
    const iso = (time: bigint) => new Date(Number(time / 1_000_000n)).toISOString();
    const lines = entries.map((entry) => `${iso(entry.time)} ${formatMetric({ ...(entry.labels['pod'] ? { pod: entry.labels['pod'] } : entry.labels) })} ${entry.line}`);
    const header = entries.length === 0 ? 'No log lines matched in this range.' : `${entries.length} line(s) from ${streams.length} stream(s), ${forward ? 'oldest' : 'newest'} first:`;
    // each stream's span, and a stream that went quiet long before the range end says so (a pod that stopped or was
    // replaced): the same truth rule as a series that ended
    const quietAfter = Math.max(300, (end - start) / 12);
    const spans = streams
      .map((stream) => {
        const times = (stream.values ?? []).map(([time]) => Number(BigInt(time) / 1_000_000n) / 1000).sort((a, b) => a - b);
        return { labels: stream.stream ?? {}, count: times.length, first: times[0]!, last: times.at(-1)! };
      })
      .filter((span) => span.count > 0)
      .sort((a, b) => b.count - a.count);
    const grid = { start, end };
    const spanLine = (span: (typeof spans)[number]) =>
      `${formatMetric(span.labels['pod'] ? { pod: span.labels['pod'] } : span.labels)} ${span.count} line(s) ${formatTime(span.first, grid)}..${formatTime(span.last, grid)}${end - span.last > quietAfter ? ` (none in the last ${formatDuration(end - span.last)} of the range)` : ''}`;
    const byStream = spans.length > 1 || spans.some((span) => end - span.last > quietAfter) ? [`By stream: ${spans.slice(0, 10).map(spanLine).join('; ')}${spans.length > 10 ? `; and ${spans.length - 10} more` : ''}`] : [];
    // Loki stops at `limit`: the lines read are the newest (backward) or oldest (forward) of the range, and what lies
    // beyond the last one was never read. Said plainly, or "no errors before 10:40" reads as a fact about the logs.
    const limitReached = entries.length >= limit;
    const unread = limitReached && entries.length > 0 ? (forward ? `after ${iso(entries.at(-1)!.time)} up to ${new Date(end * 1000).toISOString()}` : `from ${new Date(start * 1000).toISOString()} up to ${iso(entries.at(-1)!.time)}`) : '';
    const limitLines = limitReached ? [`Limit of ${limit} lines reached: lines ${unread} were not read (narrow the query, ${forward ? 'move start' : 'move end'} past that time, or raise limit up to 1000).`] : [];
    const budget = Math.floor(deps.settings.outputBudgetBytes * summaryShare);
    const shown: string[] = [];
    let used = Buffer.byteLength(header) + Buffer.byteLength(byStream.join('\n'));
    for (const line of lines) {
      used += Buffer.byteLength(line) + 1;
      if (used > budget && shown.length > 0) break;
      shown.push(line);
    }
    const cut = shown.length < lines.length ? [`… and ${lines.length - shown.length} more line(s) not shown (the output budget; narrow the filter)`] : [];
    return {
      text: [header, ...byStream, ...shown, ...cut, ...limitLines, ...warningLines('loki', answer.warnings)].join('\n'),
      structured: { streams: streams.length, lines: entries.length, ...(limitReached ? { limit_reached: true } : {}), ...(answer.warnings.length > 0 ? { warnings: answer.warnings } : {}), loki_url: answer.url },
    };
  },
});
