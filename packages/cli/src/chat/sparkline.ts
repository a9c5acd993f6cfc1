/**
 * A PromQL range result in the terminal (issue 36): one sparkline per series with its min, max and last, the highest
 * peaks first, where the Command Center draws a chart.
 */
import type { ToolResultChart } from '@skyflo/protocol';

const bars = '▁▂▃▄▅▆▇█';
export const maxSeriesShown = 3;

/** `values` squeezed to `width` columns (each the mean of its points), drawn with the eight block heights. */
export function sparkline(values: number[], width = 24): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '';
  const columns = Math.min(width, finite.length);
  const buckets = Array.from({ length: columns }, (_, column) => {
    const slice = finite.slice(Math.floor((column * finite.length) / columns), Math.floor(((column + 1) * finite.length) / columns));
    return slice.reduce((sum, value) => sum + value, 0) / slice.length;
  });
  const min = Math.min(...buckets);
  const span = Math.max(...buckets) - min;
  return buckets.map((value) => bars[span === 0 ? 3 : Math.round(((value - min) / span) * (bars.length - 1))]).join('');
}

export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${Number((value / 1e9).toPrecision(3))}G`;
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

const labelOf = (metric: Record<string, string>) => {
  const { __name__: name, ...labels } = metric;
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return pairs.length > 0 ? `{${pairs.join(', ')}}` : (name ?? '{}');
};

/** Lines for the highest-peak series: `{app="checkout"} ▁▂▅█ min 0.2 max 1.6 last 1.6`, and how many were left out. */
export function chartLines(chart: ToolResultChart, options: { width?: number } = {}): string[] {
  const summaries = chart.series
    .map((series) => {
      const values = series.values.map(([, value]) => Number(value)).filter(Number.isFinite);
      return values.length === 0 ? undefined : { label: labelOf(series.metric), values, max: Math.max(...values), min: Math.min(...values), last: values.at(-1)! };
    })
    .filter((summary) => summary !== undefined)
    .sort((a, b) => b.max - a.max);
  const labelWidth = Math.min(40, Math.max(0, ...summaries.slice(0, maxSeriesShown).map((summary) => summary.label.length)));
  const lines = summaries.slice(0, maxSeriesShown).map((summary) => {
    const label = summary.label.length > labelWidth ? `${summary.label.slice(0, labelWidth - 1)}…` : summary.label.padEnd(labelWidth);
    return `${label} ${sparkline(summary.values, options.width ?? 24)} min ${formatNumber(summary.min)} max ${formatNumber(summary.max)} last ${formatNumber(summary.last)}`;
  });
  const total = chart.series_total ?? chart.series.length;
  if (total > lines.length) lines.push(`… ${total - lines.length} more series`);
  return lines;
}
