/**
 * What the model is shown of a Prometheus answer, and what the UI gets. A range query's raw points would spend the
 * model's whole budget on numbers it cannot compare; it gets one line per series instead (min, max, the last point
 * with its time, trend, and when the series began, ended or had gaps), the worst first (highest peak), until its
 * budget is spent. The UI gets the points themselves, thinned evenly to fit the structured result's budget.
 *
 * The summary tells the same as a Grafana panel over the same answer: values are read exactly ("+Inf" is not NaN),
 * NaN and ±Inf points are counted and explained rather than dropped (a range of only NaN is not "no series"), native
 * histograms are summarised (count, sum, quantiles), and a series that stopped before the range end says so.
 */
import { parsePrometheusValue, specialValueMeanings, specialValueOf, type SpecialValue } from '@skyflo/protocol';
import { histogramFigures, isNativeHistogram, type HistogramFigures, type NativeHistogram } from './native-histograms.ts';
import { coverageOf, describeCoverage, formatTime, type RangeGrid } from './series-coverage.ts';

export type Metric = Record<string, string>;
/** A range result's series: float `values`, native histogram `histograms`, or both (a series that changed type). */
export interface RangeSeries {
  metric: Metric;
  values?: Array<[number, string]>;
  histograms?: Array<[number, NativeHistogram]>;
}
/** An instant vector's sample: a float `value` or a native `histogram`. */
export interface InstantSample {
  metric: Metric;
  value?: [number, string];
  histogram?: [number, NativeHistogram];
}

/** `name{a="b", c="d"}`, Prometheus's own notation. */
export function formatMetric(metric: Metric): string {
  const { __name__: name, ...labels } = metric;
  const pairs = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `${name ?? ''}{${pairs.join(', ')}}`;
}

/** Short, readable numbers: 3 significant digits, k/M/G above ten thousand; NaN and ±Inf spelled as Prometheus does. */
export function formatNumber(value: number): string {
  const special = specialValueOf(value);
  if (special) return special;
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${Number((value / 1e9).toPrecision(3))}G`;
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  if (abs === 0) return '0';
  return String(Number(value.toPrecision(3)));
}

/** "count 120, sum 45.3, mean 0.378, p50 ≈ 0.25, p90 ≈ 0.8, p99 ≈ 1.9" */
export function formatHistogram(figures: HistogramFigures): string {
  const quantiles = figures.count > 0 ? `, p50 ≈ ${formatNumber(figures.p50)}, p90 ≈ ${formatNumber(figures.p90)}, p99 ≈ ${formatNumber(figures.p99)}` : ' (no observations)';
  return `count ${formatNumber(figures.count)}, sum ${formatNumber(figures.sum)}, mean ${formatNumber(figures.mean)}${quantiles}`;
}

export interface SeriesSummary {
  metric: Metric;
  /** the figures after the metric, coverage included */
  line: string;
  /** for ordering: the highest value (+Inf above any number); -Inf for a series without a number */
  peak: number;
  /** for ties: the last finite value */
  last: number;
  /** it has points, but none at the range's last evaluation */
  ended: boolean;
  specials: Set<SpecialValue>;
}

const countsOf = (specials: Map<SpecialValue, number>) => [...specials].map(([name, count]) => `${count} ${name}`).join(', ');

function floatFigures(values: Array<[number, string]>, grid: RangeGrid, specials: Map<SpecialValue, number>) {
  const points = values.map(([time, text]) => ({ time, value: parsePrometheusValue(text) }));
  for (const point of points) {
    const special = specialValueOf(point.value);
    if (special) specials.set(special, (specials.get(special) ?? 0) + 1);
  }
  const finite = points.filter((point) => Number.isFinite(point.value)).map((point) => point.value);
  const lastPoint = points.at(-1)!;
  const last = `last ${formatNumber(lastPoint.value)} at ${formatTime(lastPoint.time, grid)}`;
  if (finite.length === 0) {
    const only = specials.size === 1 ? [...specials.keys()][0]! : undefined;
    return { text: `${only ? `all ${points.length} points ${only}` : `${points.length} points, none a number: ${countsOf(specials)}`}  ${last}`, peak: specials.has('+Inf') ? Infinity : -Infinity, lastFinite: -Infinity };
  }
  const min = specials.has('-Inf') ? -Infinity : Math.min(...finite);
  const max = specials.has('+Inf') ? Infinity : Math.max(...finite);
  const first = finite[0]!;
  const lastFinite = finite.at(-1)!;
  const span = Math.max(Math.abs(Math.max(...finite)), Math.abs(Math.min(...finite)), Number.EPSILON);
  // a change under 5 % of the series' magnitude is noise, not a trend
  const trend = Math.abs(lastFinite - first) / span < 0.05 ? 'flat' : lastFinite > first ? `rising (from ${formatNumber(first)})` : `falling (from ${formatNumber(first)})`;
  const odd = specials.size > 0 ? `  (${countsOf(specials)} of ${points.length} points)` : '';
  return { text: `min ${formatNumber(min)}  max ${formatNumber(max)}  ${last}  ${trend}${odd}`, peak: max, lastFinite };
}

function histogramSummary(histograms: Array<[number, NativeHistogram]>, grid: RangeGrid): string {
  const readable = histograms.filter(([, histogram]) => isNativeHistogram(histogram));
  if (readable.length === 0) return `native histogram, ${histograms.length} points in a shape not understood`;
  const [time, last] = readable.at(-1)!;
  const firstCount = histogramFigures(readable[0]![1]).count;
  return `native histogram, ${readable.length} points; at ${formatTime(time, grid)}: ${formatHistogram(histogramFigures(last))}; count at the first point ${formatNumber(firstCount)}`;
}

export function summariseSeries(series: RangeSeries, grid: RangeGrid): SeriesSummary | undefined {
  const values = Array.isArray(series.values) ? series.values : [];
  const histograms = Array.isArray(series.histograms) ? series.histograms : [];
  if (values.length === 0 && histograms.length === 0) return undefined;
  const specials = new Map<SpecialValue, number>();
  const floats = values.length > 0 ? floatFigures(values, grid, specials) : undefined;
  const parts = [floats?.text, histograms.length > 0 ? histogramSummary(histograms, grid) : undefined].filter((part): part is string => part !== undefined);
  const times = [...values.map(([time]) => time), ...histograms.map(([time]) => time)].sort((a, b) => a - b);
  const coverage = coverageOf(times, grid);
  const where = describeCoverage(coverage, grid);
  return {
    metric: series.metric ?? {},
    line: `${parts.join('; ')}${where ? `  — ${where}` : ''}`,
    peak: floats?.peak ?? -Infinity,
    last: floats?.lastFinite ?? -Infinity,
    ended: coverage.ended !== undefined,
    specials: new Set(specials.keys()),
  };
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

/** One line per special value the answer holds, saying what it means (after the series, once each). */
function meanings(specials: Iterable<SpecialValue>): string[] {
  const seen = new Set(specials);
  return (['NaN', '+Inf', '-Inf'] as const).filter((name) => seen.has(name)).map((name) => `Note: ${specialValueMeanings[name]}.`);
}

/** The model's view of a range result: one line per series, highest peak first. */
export function summariseRange(series: RangeSeries[], options: { budgetBytes: number; grid: RangeGrid }): string {
  const summaries = series.map((entry) => summariseSeries(entry, options.grid)).filter((summary): summary is SeriesSummary => summary !== undefined);
  if (summaries.length === 0) return 'No series matched over this range.';
  summaries.sort((a, b) => b.peak - a.peak || b.last - a.last || 0);
  const lines = summaries.map((summary) => `${formatMetric(summary.metric)}  ${summary.line}`);
  const ended = summaries.filter((summary) => summary.ended).length;
  const header = `${summaries.length} series${ended > 0 ? ` (${ended} ended before the range end)` : ''}, highest peak first:`;
  const notes = meanings(summaries.flatMap((summary) => [...summary.specials]));
  return [header, ...withinBudget(lines, options.budgetBytes - header.length - notes.join('\n').length, 'narrow the query with label matchers or an aggregation such as topk/sum by'), ...notes].join('\n');
}

/** The model's view of an instant vector: one line per sample, largest first (NaN last, native histograms after). */
export function summariseInstant(samples: InstantSample[], options: { budgetBytes: number }): string {
  if (samples.length === 0) return 'No series matched (empty result).';
  const valueOf = (sample: InstantSample) => (Array.isArray(sample.value) ? parsePrometheusValue(String(sample.value[1])) : undefined);
  // numbers (+Inf first), then NaN, then native histograms
  const group = (value: number | undefined) => (value === undefined ? 2 : Number.isNaN(value) ? 1 : 0);
  const compare = (a: number | undefined, b: number | undefined) => group(a) - group(b) || (group(a) === 0 ? (a! > b! ? -1 : a! < b! ? 1 : 0) : 0);
  const sorted = [...samples].sort((a, b) => compare(valueOf(a), valueOf(b)));
  const specials = new Set<SpecialValue>();
  const lines = sorted.map((sample) => {
    if (Array.isArray(sample.value)) {
      const value = parsePrometheusValue(String(sample.value[1]));
      const special = specialValueOf(value);
      if (special) specials.add(special);
      return `${formatMetric(sample.metric ?? {})}  ${formatNumber(value)}`;
    }
    const histogram = Array.isArray(sample.histogram) ? sample.histogram[1] : undefined;
    return `${formatMetric(sample.metric ?? {})}  ${isNativeHistogram(histogram) ? `native histogram: ${formatHistogram(histogramFigures(histogram))}` : 'a sample in a shape not understood (neither value nor histogram)'}`;
  });
  const header = `${samples.length} series, largest first:`;
  const notes = meanings(specials);
  return [header, ...withinBudget(lines, options.budgetBytes - header.length - notes.join('\n').length, 'narrow the query with label matchers or topk'), ...notes].join('\n');
}

/** A float series for the chart: the UI draws `values`; native histograms are told in the text, not drawn. */
export interface DrawableSeries {
  metric: Metric;
  values: Array<[number, string]>;
}

/**
 * The series for the UI within `budgetBytes` of JSON: every point while they fit, else every k-th point (always
 * keeping the last), and if even 2 points a series do not fit, the series with the highest peaks. Native histogram
 * series are not drawn (`histograms` counts them).
 */
export function seriesForUi(series: RangeSeries[], budgetBytes: number): { series: DrawableSeries[]; thinned: boolean; dropped: number; histograms: number } {
  const drawable: DrawableSeries[] = series.filter((entry) => Array.isArray(entry.values) && entry.values.length > 0).map((entry) => ({ metric: entry.metric ?? {}, values: entry.values! }));
  const histograms = series.filter((entry) => Array.isArray(entry.histograms) && entry.histograms.length > 0).length;
  const size = (candidate: DrawableSeries[]) => Buffer.byteLength(JSON.stringify(candidate), 'utf8');
  if (size(drawable) <= budgetBytes) return { series: drawable, thinned: false, dropped: 0, histograms };
  const thin = (entry: DrawableSeries, every: number): DrawableSeries => ({
    metric: entry.metric,
    values: entry.values.filter((_, index) => index % every === 0 || index === entry.values.length - 1),
  });
  const longest = Math.max(...drawable.map((entry) => entry.values.length));
  for (let every = 2; every <= longest; every *= 2) {
    const thinned = drawable.map((entry) => thin(entry, every));
    if (size(thinned) <= budgetBytes) return { series: thinned, thinned: true, dropped: 0, histograms };
  }
  const peak = (entry: DrawableSeries) => Math.max(-Infinity, ...entry.values.map(([, value]) => parsePrometheusValue(value)).filter(Number.isFinite));
  const ranked = [...drawable].sort((a, b) => peak(b) - peak(a)).map((entry) => thin(entry, Math.max(1, Math.ceil(entry.values.length / 30))));
  const kept: DrawableSeries[] = [];
  for (const entry of ranked) {
    if (size([...kept, entry]) > budgetBytes) break;
    kept.push(entry);
  }
  return { series: kept, thinned: true, dropped: drawable.length - kept.length, histograms };
}
