/** The chart's data, pure: which series are drawn, their rows by timestamp, labels, numbers and the Prometheus link. */
import { parsePrometheusValue, specialValueOf, type SpecialValue, type ToolResultChart } from '@skyflo/protocol';

type Series = ToolResultChart['series'][number];
export const maxDrawn = 10;

const peak = (series: Series) => Math.max(-Infinity, ...series.values.map(([, value]) => parsePrometheusValue(value)).filter(Number.isFinite));

/** The series with the highest peaks, at most `maxDrawn`, in their original order. */
export function seriesToDraw(series: Series[]): Series[] {
  if (series.length <= maxDrawn) return series;
  const kept = new Set([...series].sort((a, b) => peak(b) - peak(a)).slice(0, maxDrawn));
  return series.filter((entry) => kept.has(entry));
}

/** One row per timestamp: {t, s0, s1, …}; a series without a point there has no key (a gap, not a zero). */
export function chartRows(series: Series[]): Array<Record<string, number>> {
  const rows = new Map<number, Record<string, number>>();
  series.forEach((entry, index) => {
    for (const [t, value] of entry.values) {
      const number = parsePrometheusValue(value);
      // NaN and ±Inf cannot be drawn: a gap, counted by specialPoints and said under the chart
      if (!Number.isFinite(number)) continue;
      const row = rows.get(t) ?? { t };
      row[`s${index}`] = number;
      rows.set(t, row);
    }
  });
  return [...rows.values()].sort((a, b) => a['t']! - b['t']!);
}

/** How many drawn points are NaN, +Inf or -Inf (left as gaps in the line, so the chart says so in words). */
export function specialPoints(series: Series[]): Array<{ value: SpecialValue; count: number }> {
  const counts = new Map<SpecialValue, number>();
  for (const entry of series) {
    for (const [, value] of entry.values) {
      const special = specialValueOf(parsePrometheusValue(value));
      if (special) counts.set(special, (counts.get(special) ?? 0) + 1);
    }
  }
  return [...counts].map(([value, count]) => ({ value, count }));
}

/** `{app="checkout"}`; the metric name only when there are no labels. */
export function labelOf(metric: Record<string, string>): string {
  const { __name__: name, ...labels } = metric;
  const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return pairs.length > 0 ? `{${pairs.join(', ')}}` : (name ?? '{}');
}

export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${Number((value / 1e9).toPrecision(3))}G`;
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

/** The same query over the same range in Prometheus's own graph page; undefined without a Prometheus URL. */
export function prometheusGraphUrl(chart: ToolResultChart): string | undefined {
  if (!chart.source_url || !/^https?:\/\//i.test(chart.source_url)) return undefined;
  const params = new URLSearchParams({
    'g0.expr': chart.query,
    'g0.tab': '0',
    'g0.range_input': `${Math.max(1, Math.round(chart.end - chart.start))}s`,
    'g0.end_input': new Date(chart.end * 1000).toISOString(),
    'g0.step_input': String(chart.step),
  });
  return `${chart.source_url.replace(/\/+$/, '')}/graph?${params.toString()}`;
}

/** Grafana Explore with the same query and range; undefined without a Grafana URL. */
export function grafanaExploreUrl(chart: ToolResultChart): string | undefined {
  if (!chart.grafana_url || !/^https?:\/\//i.test(chart.grafana_url)) return undefined;
  const pane = { queries: [{ refId: 'A', expr: chart.query }], range: { from: String(Math.round(chart.start * 1000)), to: String(Math.round(chart.end * 1000)) } };
  return `${chart.grafana_url.replace(/\/+$/, '')}/explore?left=${encodeURIComponent(JSON.stringify(pane))}`;
}

/** What the chart's numbers are in, read from the metric names as Prometheus' naming conventions spell units. */
export type ChartUnit = 'seconds' | 'bytes' | 'bytes/s' | 'cores';

/**
 * The unit of a query's result from its metric names: `_seconds` and `_bytes` (a histogram's quantile, a sum over a
 * count, a gauge), a rate of `_seconds_total` (CPU: cores) or of `_bytes_total` (bytes/s). A ratio of two such metrics
 * (memory over its limit) and a `_count` or `_total` of anything else has no unit; neither has a query without names.
 */
export function unitOf(query: string): ChartUnit | undefined {
  const found = [...query.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*?)_(seconds|bytes)(_total|_bucket|_sum|_count)?\b/g)].map((match) => ({ base: `${match[1]}_${match[2]}`, unit: match[2] as 'seconds' | 'bytes', suffix: match[3] ?? '' }));
  if (found.length === 0) return undefined;
  const units = new Set(found.map((entry) => entry.unit));
  if (units.size > 1) return undefined;
  const unit = [...units][0]!;
  const bases = new Set(found.map((entry) => entry.base));
  const divides = /\//.test(query);
  // a ratio of two different metrics in the same unit is a fraction (memory over its limit)
  if (divides && bases.size > 1) return undefined;
  const suffixes = new Set(found.map((entry) => entry.suffix));
  if (suffixes.has('_total')) {
    const isRate = /\b(rate|irate|deriv)\s*\(/.test(query);
    if (suffixes.size > 1) return undefined;
    return isRate ? (unit === 'seconds' ? 'cores' : 'bytes/s') : unit;
  }
  // _sum / _count of one histogram is its mean; a _count alone is a number of observations
  if (suffixes.has('_count')) return divides && suffixes.has('_sum') ? unit : undefined;
  return unit;
}

const binary = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** A value with its unit, as the axis and the tooltip show it: "350 ms", "3.56 s", "512 MiB", "1.2 cores". */
export function formatWithUnit(value: number, unit: ChartUnit | undefined): string {
  if (!Number.isFinite(value) || unit === undefined) return formatValue(value);
  const short = (number: number) => String(Number(number.toPrecision(3)));
  if (unit === 'seconds') {
    const abs = Math.abs(value);
    if (abs === 0) return '0 s';
    if (abs < 1e-3) return `${short(value * 1e6)} µs`;
    if (abs < 1) return `${short(value * 1e3)} ms`;
    if (abs < 120) return `${short(value)} s`;
    if (abs < 7200) return `${short(value / 60)} min`;
    return `${short(value / 3600)} h`;
  }
  if (unit === 'cores') return `${short(value)} cores`;
  let scaled = value;
  let index = 0;
  while (Math.abs(scaled) >= 1024 && index < binary.length - 1) {
    scaled /= 1024;
    index += 1;
  }
  return `${short(scaled)} ${binary[index]}${unit === 'bytes/s' ? '/s' : ''}`;
}

/** The windows the range control offers: those shorter than the data's span, then "all". */
export function rangeChoices(spanSeconds: number): Array<{ label: string; seconds?: number }> {
  const windows = [
    { label: '5m', seconds: 300 },
    { label: '15m', seconds: 900 },
    { label: '1h', seconds: 3600 },
    { label: '6h', seconds: 21_600 },
    { label: '1d', seconds: 86_400 },
    { label: '7d', seconds: 604_800 },
  ];
  return [...windows.filter((window) => window.seconds < spanSeconds * 0.9), { label: 'all' }];
}
