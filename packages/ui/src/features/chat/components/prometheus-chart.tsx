/**
 * A PromQL range result drawn in its tool card (issue 36): one line per series (the highest peaks, at most ten),
 * values on hover, the query, a zoom (drag across the chart to select a time range, "Reset zoom" to go back), and
 * "Open in Prometheus"/"Open in Grafana" when the engine said where the query ran. Loaded on demand (recharts is
 * large), only by cards that have a chart.
 */
import type { ToolResultChart } from '@skyflo/protocol';
import { ExternalLink } from 'lucide-react';
import { useState } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { chartRows, formatValue, grafanaExploreUrl, labelOf, prometheusGraphUrl, seriesToDraw } from './prometheus-chart-data.ts';

const palette = ['#3b82f6', '#ef4444', '#10b981', '#f59e0b', '#8b5cf6', '#ec4899', '#14b8a6', '#f97316', '#6366f1', '#84cc16'];
const time = (seconds: number) => new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const linkClass = 'inline-flex shrink-0 items-center gap-1 font-medium text-accent hover:underline';

type Range = { from: number; to: number };
/** The pointer's timestamp on the x axis, from recharts' mouse state (absent outside the plot). */
const pointed = (state: unknown): number | undefined => {
  const label = (state as { activeLabel?: unknown } | null)?.activeLabel;
  const value = typeof label === 'number' ? label : Number(label);
  return label === undefined || !Number.isFinite(value) ? undefined : value;
};

export default function PrometheusChart({ chart }: { chart: ToolResultChart }) {
  const drawn = seriesToDraw(chart.series);
  const allRows = chartRows(drawn);
  const prometheus = prometheusGraphUrl(chart);
  const grafana = grafanaExploreUrl(chart);
  const notDrawn = (chart.series_total ?? chart.series.length) - drawn.length;
  // drag-to-zoom: `selecting` is the range under the pointer while the button is held, `zoom` the one applied
  const [selecting, setSelecting] = useState<Range | undefined>();
  const [zoom, setZoom] = useState<Range | undefined>();
  const rows = zoom ? allRows.filter((row) => row['t']! >= zoom.from && row['t']! <= zoom.to) : allRows;
  function finishSelection() {
    if (selecting && selecting.from !== selecting.to) {
      const from = Math.min(selecting.from, selecting.to);
      const to = Math.max(selecting.from, selecting.to);
      // fewer than two points would draw nothing useful: keep the current view
      if (allRows.filter((row) => row['t']! >= from && row['t']! <= to).length >= 2) setZoom({ from, to });
    }
    setSelecting(undefined);
  }
  return (
    <figure className="min-w-0 space-y-1 px-3 pb-3" data-testid="prometheus-chart" aria-label={`Chart of ${chart.query}`}>
      <figcaption className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-1 text-xs text-muted">
        <code className="min-w-0 max-w-full flex-1 basis-48 break-all font-mono" title={chart.query} data-testid="chart-query">
          {chart.query}
        </code>
        {zoom ? (
          <button type="button" onClick={() => setZoom(undefined)} className="shrink-0 rounded border border-border px-1.5 py-0.5 font-medium hover:bg-panel">
            Reset zoom
          </button>
        ) : null}
        {prometheus ? (
          <a href={prometheus} target="_blank" rel="noreferrer noopener" className={linkClass}>
            Open in Prometheus
            <ExternalLink className="h-3 w-3" aria-hidden />
          </a>
        ) : null}
        {grafana ? (
          <a href={grafana} target="_blank" rel="noreferrer noopener" className={linkClass}>
            Open in Grafana
            <ExternalLink className="h-3 w-3" aria-hidden />
          </a>
        ) : null}
      </figcaption>
      {allRows.length === 0 ? (
        <p className="text-xs text-muted">No data points in this range.</p>
      ) : (
        <div className="h-44 w-full min-w-0 select-none" title="Drag across the chart to zoom into a time range">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart
              data={rows}
              margin={{ top: 4, right: 8, bottom: 0, left: 0 }}
              onMouseDown={(state) => {
                const at = pointed(state);
                if (at !== undefined) setSelecting({ from: at, to: at });
              }}
              onMouseMove={(state) => {
                const at = pointed(state);
                if (selecting && at !== undefined) setSelecting({ ...selecting, to: at });
              }}
              onMouseUp={finishSelection}
              onMouseLeave={() => setSelecting(undefined)}
            >
              <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.1} />
              <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={time} tick={{ fontSize: 10 }} stroke="currentColor" strokeOpacity={0.4} minTickGap={24} />
              <YAxis tickFormatter={formatValue} tick={{ fontSize: 10 }} width={40} stroke="currentColor" strokeOpacity={0.4} />
              <Tooltip
                labelFormatter={(value) => new Date(Number(value) * 1000).toLocaleString()}
                formatter={(value, name) => [formatValue(Number(value)), String(name)]}
                contentStyle={{ fontSize: 11, padding: '4px 6px', maxWidth: 280, whiteSpace: 'normal', wordBreak: 'break-all' }}
                itemStyle={{ padding: 0 }}
                // inside the plot: the card clips anything outside it, and a phone has no room beside it
                allowEscapeViewBox={{ x: false, y: false }}
              />
              {drawn.map((series, index) => (
                <Line key={index} dataKey={`s${index}`} name={labelOf(series.metric)} stroke={palette[index % palette.length]} dot={false} strokeWidth={1.5} isAnimationActive={false} connectNulls={false} />
              ))}
              {selecting && selecting.from !== selecting.to ? <ReferenceArea x1={selecting.from} x2={selecting.to} strokeOpacity={0.3} fill="currentColor" fillOpacity={0.1} /> : null}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
      {zoom ? <p className="text-xs text-muted">Zoomed to {time(zoom.from)}–{time(zoom.to)}.</p> : null}
      {notDrawn > 0 ? <p className="text-xs text-muted">{notDrawn} more series not drawn (the highest peaks are shown).</p> : null}
    </figure>
  );
}
