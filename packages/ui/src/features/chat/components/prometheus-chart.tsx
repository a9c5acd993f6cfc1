/**
 * A PromQL range result drawn in its tool card (issue 36): one line per series (the highest peaks, at most ten) with a
 * legend, values on hover in the unit the metric names spell (issue 78: "3.56 s", "512 MiB"), the query, a range
 * control (the last 15 minutes, an hour… of what the query returned) and a zoom (drag across the chart), a marker at
 * each rollout inside the range, and "Open in Prometheus"/"Open in Grafana" when the engine said where the query ran.
 * Loaded on demand (recharts is large), only by cards that have a chart.
 */
import type { ToolResultChart } from '@skyflo/protocol';
import { ExternalLink } from 'lucide-react';
import { useState } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceArea, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { chartRows, formatWithUnit, grafanaExploreUrl, labelOf, prometheusGraphUrl, rangeChoices, seriesToDraw, specialPoints, unitOf } from './prometheus-chart-data.ts';

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
  const notDrawn = (chart.series_total ?? chart.series.length) - drawn.length - (chart.native_histograms ?? 0);
  const special = specialPoints(drawn);
  const unit = unitOf(chart.query);
  const format = (value: number) => formatWithUnit(value, unit);
  const lastT = allRows.at(-1)?.['t'] ?? chart.end;
  const firstT = allRows[0]?.['t'] ?? chart.start;
  const choices = rangeChoices(lastT - firstT);
  // drag-to-zoom: `selecting` is the range under the pointer while the button is held, `zoom` the one applied
  const [selecting, setSelecting] = useState<Range | undefined>();
  const [zoom, setZoom] = useState<Range | undefined>();
  const rows = zoom ? allRows.filter((row) => row['t']! >= zoom.from && row['t']! <= zoom.to) : allRows;
  const shownFrom = rows[0]?.['t'] ?? firstT;
  const shownTo = rows.at(-1)?.['t'] ?? lastT;
  const markers = (chart.markers ?? []).filter((marker) => marker.at >= shownFrom && marker.at <= shownTo);
  const windowOf = (seconds: number | undefined) => (seconds === undefined ? undefined : { from: lastT - seconds, to: lastT });
  const activeWindow = choices.find((choice) => (choice.seconds === undefined ? !zoom : zoom?.to === lastT && zoom.from === lastT - choice.seconds));
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
        {choices.length > 1 ? (
          <span role="group" aria-label="Time range" className="inline-flex shrink-0 overflow-hidden rounded border border-border">
            {choices.map((choice) => (
              <button
                key={choice.label}
                type="button"
                aria-pressed={activeWindow === choice}
                onClick={() => setZoom(windowOf(choice.seconds))}
                className={`px-1.5 py-0.5 font-medium ${activeWindow === choice ? 'bg-accent/15 text-accent' : 'hover:bg-panel'}`}
              >
                {choice.label}
              </button>
            ))}
          </span>
        ) : null}
        {zoom && !activeWindow ? (
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
              <YAxis tickFormatter={format} tick={{ fontSize: 10 }} width={unit ? 64 : 40} stroke="currentColor" strokeOpacity={0.4} />
              <Tooltip
                labelFormatter={(value) => new Date(Number(value) * 1000).toLocaleString()}
                formatter={(value, name) => [format(Number(value)), String(name)]}
                contentStyle={{ fontSize: 11, padding: '4px 6px', maxWidth: 280, whiteSpace: 'normal', wordBreak: 'break-all' }}
                itemStyle={{ padding: 0 }}
                // inside the plot: the card clips anything outside it, and a phone has no room beside it
                allowEscapeViewBox={{ x: false, y: false }}
              />
              {drawn.map((series, index) => (
                <Line key={index} dataKey={`s${index}`} name={labelOf(series.metric)} stroke={palette[index % palette.length]} dot={false} strokeWidth={1.5} isAnimationActive={false} connectNulls={false} />
              ))}
              {markers.map((marker) => (
                <ReferenceLine key={`${marker.at}-${marker.label}`} x={marker.at} stroke="#f59e0b" strokeDasharray="4 2" label={{ value: 'rollout', position: 'insideTopLeft', fontSize: 9, fill: '#f59e0b' }} />
              ))}
              {selecting && selecting.from !== selecting.to ? <ReferenceArea x1={selecting.from} x2={selecting.to} strokeOpacity={0.3} fill="currentColor" fillOpacity={0.1} /> : null}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
      {drawn.length > 0 ? (
        <ul className="flex max-h-20 flex-wrap gap-x-3 gap-y-0.5 overflow-y-auto text-[11px]" aria-label="Legend" data-testid="chart-legend">
          {drawn.map((series, index) => (
            <li key={index} className="flex min-w-0 items-center gap-1 break-all font-mono">
              <span className="inline-block h-2 w-2 shrink-0 rounded-sm" style={{ background: palette[index % palette.length] }} aria-hidden />
              {labelOf(series.metric)}
            </li>
          ))}
        </ul>
      ) : null}
      {unit ? <p className="text-[11px] text-muted">Values in {unit === 'cores' ? 'CPU cores' : unit}, from the metric name.</p> : null}
      {markers.length > 0 ? (
        <ul className="text-[11px] text-muted" aria-label="Rollouts" data-testid="chart-markers">
          {markers.map((marker) => (
            <li key={`${marker.at}-${marker.label}`}>
              <span className="text-warn">▏</span>
              {time(marker.at)} rollout: {marker.label}
            </li>
          ))}
        </ul>
      ) : null}
      {zoom && !activeWindow ? <p className="text-xs text-muted">Zoomed to {time(zoom.from)}–{time(zoom.to)}.</p> : null}
      {notDrawn > 0 ? <p className="text-xs text-muted">{notDrawn} more series not drawn (the highest peaks are shown).</p> : null}
      {chart.native_histograms ? <p className="text-xs text-muted">{chart.native_histograms} native histogram series not drawn (summarised in the result).</p> : null}
      {special.length > 0 ? (
        <p className="text-xs text-muted" data-testid="chart-special-values">
          Not drawn: {special.map(({ value, count }) => `${count} ${value}`).join(', ')} point(s){special.some(({ value }) => value === 'NaN') ? ' (NaN is 0/0, e.g. no requests in the window)' : ''}
          {special.some(({ value }) => value !== 'NaN') ? ' (±Inf is a division by zero)' : ''}.
        </p>
      ) : null}
      {chart.warnings?.length ? (
        <div role="note" className="rounded border border-warn/50 bg-warn/10 px-2 py-1 text-xs" data-testid="chart-warnings">
          <p className="font-medium">The data source warned that this answer may be partial:</p>
          <ul className="list-disc pl-4">
            {chart.warnings.map((warning, index) => (
              <li key={index} className="break-all">
                {warning}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </figure>
  );
}
