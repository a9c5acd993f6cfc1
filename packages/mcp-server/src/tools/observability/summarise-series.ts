/**
 * What the model is shown of a Prometheus answer, and what the UI gets. A range query's raw points would spend the
 * model's whole budget on numbers it cannot compare; it gets one line per series instead (min, max, last, trend),
 * the worst first (highest peak), until its budget is spent. The UI gets the points themselves, thinned evenly to
 * fit the structured result's budget, to draw the chart.
 */

export type Metric = Record<string, string>;
export interface RangeSeries {
  metric: Metric;
  values: Array<[number, string]>;
}
export interface InstantSample {
  metric: Metric;
  value: [number, string];
}

/** `name{a="b", c="d"}`, Prometheus's own notation. */
export function formatMetric(metric: Metric): string {
  const { __name__: name, ...labels } = metric;
  const pairs = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `${name ?? ''}{${pairs.join(', ')}}`;
}

/** Short, readable numbers: 3 significant digits, k/M/G above a thousand. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${Number((value / 1e9).toPrecision(3))}G`;
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  if (abs === 0) return '0';
  return String(Number(value.toPrecision(3)));
}

export interface SeriesSummary {
  metric: Metric;
  min: number;
  max: number;
  last: number;
  first: number;
  /** rising, falling or flat: last against first, relative to the series' range */
  trend: 'rising' | 'falling' | 'flat';
}

export function summariseSeries(series: RangeSeries): SeriesSummary | undefined {
  const values = series.values.map(([, value]) => Number(value)).filter((value) => Number.isFinite(value));
  if (values.length === 0) return undefined;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const first = values[0]!;
  const last = values.at(-1)!;
  const span = Math.max(Math.abs(max), Math.abs(min), Number.EPSILON);
  // a change under 5 % of the series' magnitude is noise, not a trend
  const trend = Math.abs(last - first) / span < 0.05 ? 'flat' : last > first ? 'rising' : 'falling';
  return { metric: series.metric, min, max, last, first, trend };
}

/** Lines until `budgetBytes` is spent, then one line saying how many were left out and how to see them. */
function withinBudget(lines: string[], budgetBytes: number, leftOutHint: string): string[] {
  const out: string[] = [];
  let used = 0;
  for (const [index, line] of lines.entries()) {
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (used + size > budgetBytes && out.length > 0) {
      out.push(`… and ${lines.length - index} more (${leftOutHint})`);
      break;
    }
    out.push(line);
    used += size;
  }
  return out;
}

/** The model's view of a range result: one line per series, highest peak first. */
export function summariseRange(series: RangeSeries[], options: { budgetBytes: number }): string {
  const summaries = series.map(summariseSeries).filter((summary): summary is SeriesSummary => summary !== undefined);
  summaries.sort((a, b) => b.max - a.max || b.last - a.last);
  if (summaries.length === 0) return 'No series matched over this range.';
  const lines = summaries.map(
    (summary) => `${formatMetric(summary.metric)}  min ${formatNumber(summary.min)}  max ${formatNumber(summary.max)}  last ${formatNumber(summary.last)}  ${summary.trend}${summary.trend === 'flat' ? '' : ` (from ${formatNumber(summary.first)})`}`,
  );
  const header = `${summaries.length} series, highest peak first:`;
  return [header, ...withinBudget(lines, options.budgetBytes - header.length, 'narrow the query with label matchers or an aggregation such as topk/sum by')].join('\n');
}

/** The model's view of an instant vector: one line per sample, largest first. */
export function summariseInstant(samples: InstantSample[], options: { budgetBytes: number }): string {
  if (samples.length === 0) return 'No series matched (empty result).';
  const sorted = [...samples].sort((a, b) => Number(b.value[1]) - Number(a.value[1]));
  const lines = sorted.map((sample) => `${formatMetric(sample.metric)}  ${formatNumber(Number(sample.value[1]))}`);
  const header = `${samples.length} series, largest first:`;
  return [header, ...withinBudget(lines, options.budgetBytes - header.length, 'narrow the query with label matchers or topk')].join('\n');
}

/**
 * The series for the UI within `budgetBytes` of JSON: every point while they fit, else every k-th point (always
 * keeping the last), and if even 2 points a series do not fit, the series with the highest peaks.
 */
export function seriesForUi(series: RangeSeries[], budgetBytes: number): { series: RangeSeries[]; thinned: boolean; dropped: number } {
  const size = (candidate: RangeSeries[]) => Buffer.byteLength(JSON.stringify(candidate), 'utf8');
  if (size(series) <= budgetBytes) return { series, thinned: false, dropped: 0 };
  const thin = (entry: RangeSeries, every: number): RangeSeries => ({
    metric: entry.metric,
    values: entry.values.filter((_, index) => index % every === 0 || index === entry.values.length - 1),
  });
  const longest = Math.max(...series.map((entry) => entry.values.length));
  for (let every = 2; every <= longest; every *= 2) {
    const thinned = series.map((entry) => thin(entry, every));
    if (size(thinned) <= budgetBytes) return { series: thinned, thinned: true, dropped: 0 };
  }
  const peak = (entry: RangeSeries) => Math.max(...entry.values.map(([, value]) => Number(value)).filter(Number.isFinite));
  const ranked = [...series].sort((a, b) => peak(b) - peak(a)).map((entry) => thin(entry, Math.max(1, Math.ceil(entry.values.length / 30))));
  const kept: RangeSeries[] = [];
  for (const entry of ranked) {
    if (size([...kept, entry]) > budgetBytes) break;
    kept.push(entry);
  }
  return { series: kept, thinned: true, dropped: series.length - kept.length };
}
