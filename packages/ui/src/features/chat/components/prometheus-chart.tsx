/**
 * A PromQL range result drawn in its tool card (issue 36): one line per series (the highest peaks, at most ten),
 * values on hover, the query, and "Open in Prometheus" when the engine said which Prometheus answered. Loaded on
 * demand (recharts is large), only by cards that have a chart.
 */
import type { ToolResultChart } from '@skyflo/protocol';
import { ExternalLink } from 'lucide-react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { chartRows, formatValue, labelOf, prometheusGraphUrl, seriesToDraw } from './prometheus-chart-data.ts';

const palette = ['#3b82f6', '#ef4444', '#10b981', '#f59e0b', '#8b5cf6', '#ec4899', '#14b8a6', '#f97316', '#6366f1', '#84cc16'];
const time = (seconds: number) => new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export default function PrometheusChart({ chart }: { chart: ToolResultChart }) {
  const drawn = seriesToDraw(chart.series);
  const rows = chartRows(drawn);
  const link = prometheusGraphUrl(chart);
  const notDrawn = (chart.series_total ?? chart.series.length) - drawn.length;
  return (
    <figure className="space-y-1 px-3 pb-3" data-testid="prometheus-chart" aria-label={`Chart of ${chart.query}`}>
      <figcaption className="flex items-center gap-2 text-xs text-muted">
        <code className="truncate font-mono" title={chart.query}>
          {chart.query}
        </code>
        {link ? (
          <a href={link} target="_blank" rel="noreferrer noopener" className="ml-auto inline-flex shrink-0 items-center gap-1 font-medium text-accent hover:underline">
            Open in Prometheus
            <ExternalLink className="h-3 w-3" aria-hidden />
          </a>
        ) : null}
      </figcaption>
      {rows.length === 0 ? (
        <p className="text-xs text-muted">No data points in this range.</p>
      ) : (
        <div className="h-44 w-full">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={rows} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.1} />
              <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={time} tick={{ fontSize: 10 }} stroke="currentColor" strokeOpacity={0.4} />
              <YAxis tickFormatter={formatValue} tick={{ fontSize: 10 }} width={44} stroke="currentColor" strokeOpacity={0.4} />
              <Tooltip
                labelFormatter={(value) => new Date(Number(value) * 1000).toLocaleString()}
                formatter={(value, name) => [formatValue(Number(value)), String(name)]}
                contentStyle={{ fontSize: 11 }}
              />
              {drawn.map((series, index) => (
                <Line key={index} dataKey={`s${index}`} name={labelOf(series.metric)} stroke={palette[index % palette.length]} dot={false} strokeWidth={1.5} isAnimationActive={false} connectNulls={false} />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
      {notDrawn > 0 ? <p className="text-xs text-muted">{notDrawn} more series not drawn (the highest peaks are shown).</p> : null}
    </figure>
  );
}
