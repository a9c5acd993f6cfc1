/** The chart's data, pure: which series are drawn, their rows by timestamp, labels, numbers and the Prometheus link. */
import type { ToolResultChart } from '@skyflo/protocol';

type Series = ToolResultChart['series'][number];
export const maxDrawn = 10;

const peak = (series: Series) => Math.max(...series.values.map(([, value]) => Number(value)).filter(Number.isFinite));

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
      const number = Number(value);
      if (!Number.isFinite(number)) continue;
      const row = rows.get(t) ?? { t };
      row[`s${index}`] = number;
      rows.set(t, row);
    }
  });
  return [...rows.values()].sort((a, b) => a['t']! - b['t']!);
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
