import { z } from 'zod';
import { ToolInputError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import { withTextOutput } from '../output-shapes.ts';
import { querySource, resolveTime, timeField, warningLines } from './data-sources.ts';
import { summaryShare } from './prometheus-query.ts';
import { rolloutMarkers } from './rollout-markers.ts';
import { seriesForUi, summariseRange, type RangeSeries } from './summarise-series.ts';
import { formatTime } from './series-coverage.ts';

/** About 60 points a series: enough for a trend and a chart, few enough to answer fast. */
const defaultPoints = 60;

export const prometheusQueryRange = defineTool({
  name: 'prometheus_query_range',
  title: 'Prometheus: Range Query',
  description:
    'Evaluate a PromQL expression over a time range on the cluster\'s Prometheus (default the last hour), e.g. histogram_quantile(0.99, sum by (le, app) (rate(http_request_duration_seconds_bucket{namespace="prod"}[5m]))). Answers min/max, the last point with its time, and the trend per series, highest peak first, saying when a series began, ended or had gaps and what NaN/±Inf points mean; the UI draws the series.',
  toolset: 'observability',
  tags: ['metrics'],
  inputSchema: {
    query: z.string().min(1).max(4000).describe('PromQL expression (an instant vector or scalar)'),
    start: timeField('Range start (default "1h")'),
    end: timeField('Range end (default now)'),
    step: z.string().regex(/^[0-9]+(\.[0-9]+)?(s|m|h)?$/, 'step is seconds or a duration such as 30s, 5m').optional().describe('Resolution, e.g. "60s" (default: about 60 points over the range)'),
  },
  outputSchema: withTextOutput({
    query: z.string().optional(),
    start: z.number().optional(),
    end: z.number().optional(),
    step: z.number().optional(),
    series: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })).optional().describe('the series to draw, thinned to the budget'),
    series_total: z.number().optional(),
    thinned: z.boolean().optional(),
    native_histograms: z.number().optional().describe('series of native histograms: summarised in the text, not drawn'),
    markers: z.array(z.object({ at: z.number(), label: z.string() })).optional().describe('rollouts in the range (new ReplicaSets, from kube_replicaset_created)'),
    warnings: z.array(z.string()).optional().describe('what Prometheus (or Thanos/Mimir) warned about this answer, e.g. a partial response'),
    prometheus_url: z.string().optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, deps: ToolDeps, context) => {
    const now = Date.now() / 1000;
    const requestedEnd = resolveTime(input.end, 'end', now, now);
    const requestedStart = resolveTime(input.start, 'start', now, requestedEnd - 3600);
    if (!(requestedStart < requestedEnd)) throw new ToolInputError(`start must be before end (got ${new Date(requestedStart * 1000).toISOString()} .. ${new Date(requestedEnd * 1000).toISOString()}).`);
    const unit = input.step?.match(/(s|m|h)$/)?.[1];
    const step = input.step ? Number.parseFloat(input.step) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1) : Math.max(15, Math.ceil((requestedEnd - requestedStart) / defaultPoints / 15) * 15);
    if (!(step > 0)) throw new ToolInputError('step must be above zero.');
    // Aligned to the step, as Grafana aligns its queries: the points fall on whole times ("last … at 10:48:00Z"), and
    // the same question asked twice a few seconds apart gives the same grid. The end is aligned down, never into the
    // future (an evaluation after now would repeat the last sample for up to five minutes).
    const start = Math.floor(requestedStart / step) * step;
    const end = Math.max(start, Math.floor(requestedEnd / step) * step);
    if ((end - start) / step > 11_000) throw new ToolInputError('the range holds more than 11,000 steps; use a larger step.');
    const params = new URLSearchParams({ query: input.query, start: String(start), end: String(end), step: String(step) });
    const answer = await querySource('prometheus', '/api/v1/query_range', params, deps, context);
    if (!answer.ok) return answer.output;
    const series = (Array.isArray(answer.json.data?.result) ? answer.json.data.result : []) as RangeSeries[];
    const summary = summariseRange(series, { budgetBytes: Math.floor(deps.settings.outputBudgetBytes * summaryShare), grid: { start, end, step } });
    const markers = series.length > 0 ? await rolloutMarkers({ query: input.query, series, start, end }, deps, context) : [];
    const rollouts = markers.length > 0 ? [`Rollouts in this range: ${markers.map((marker) => `${marker.label} at ${formatTime(marker.at, { start, end })}`).join('; ')}.`] : [];
    const text = [summary, `(range ${new Date(start * 1000).toISOString()} .. ${new Date(end * 1000).toISOString()}, step ${step}s)`, ...rollouts, ...warningLines('prometheus', answer.warnings)].join('\n');
    // what is left of the budget after the text, less room for the other fields
    const forUi = seriesForUi(series, Math.max(1024, deps.settings.outputBudgetBytes - Buffer.byteLength(text) - 1024));
    return {
      text,
      structured: {
        query: input.query,
        start,
        end,
        step,
        series: forUi.series,
        series_total: series.length,
        thinned: forUi.thinned,
        ...(forUi.histograms > 0 ? { native_histograms: forUi.histograms } : {}),
        ...(markers.length > 0 ? { markers } : {}),
        ...(answer.warnings.length > 0 ? { warnings: answer.warnings } : {}),
        prometheus_url: answer.url,
      },
    };
  },
});
