/**
 * Native histograms (Prometheus 2.40+) as the query API answers them: a sample holds `histogram` (instant) or a series
 * `histograms` (range) instead of `value`/`values`, each an object {count, sum, buckets: [[boundary, lower, upper,
 * count], …]} with every number a string and each bucket's own (not cumulative) count. One such series in an answer
 * used to make the summary read `undefined[1]`; it is summarised here instead: count, sum, mean and quantiles
 * estimated from the buckets.
 */
import { parsePrometheusValue } from '@skyflo/protocol';

/** A native histogram as Prometheus' JSON writes it. */
export interface NativeHistogram {
  count: string;
  sum: string;
  /** [boundary rule (0 open left, 1 open right, 2 open both, 3 closed both), lower, upper, count]; absent when empty */
  buckets?: Array<[number, string, string, string]>;
}

export interface HistogramFigures {
  count: number;
  sum: number;
  /** sum/count; NaN without observations */
  mean: number;
  buckets: number;
  p50: number;
  p90: number;
  p99: number;
}

/**
 * The q-quantile of the observations in the buckets, interpolated linearly inside the bucket the rank falls in
 * (Prometheus interpolates exponentially inside a native bucket, hence "≈" wherever this is shown); NaN when empty.
 */
export function nativeQuantile(q: number, buckets: NativeHistogram['buckets']): number {
  const parsed = (buckets ?? [])
    .map(([, lower, upper, count]) => ({ lower: parsePrometheusValue(lower), upper: parsePrometheusValue(upper), count: parsePrometheusValue(count) }))
    .filter((bucket) => bucket.count > 0)
    .sort((a, b) => a.upper - b.upper || a.lower - b.lower);
  const total = parsed.reduce((sum, bucket) => sum + bucket.count, 0);
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let below = 0;
  for (const bucket of parsed) {
    if (below + bucket.count >= rank) {
      const share = (rank - below) / bucket.count;
      return bucket.lower + (bucket.upper - bucket.lower) * share;
    }
    below += bucket.count;
  }
  return parsed.at(-1)!.upper;
}

export function histogramFigures(histogram: NativeHistogram): HistogramFigures {
  const count = parsePrometheusValue(histogram.count);
  const sum = parsePrometheusValue(histogram.sum);
  return {
    count,
    sum,
    mean: count > 0 ? sum / count : Number.NaN,
    buckets: histogram.buckets?.length ?? 0,
    p50: nativeQuantile(0.5, histogram.buckets),
    p90: nativeQuantile(0.9, histogram.buckets),
    p99: nativeQuantile(0.99, histogram.buckets),
  };
}

/** Whether a JSON value has the shape of a native histogram (a server's answer is read defensively). */
export function isNativeHistogram(value: unknown): value is NativeHistogram {
  return typeof value === 'object' && value !== null && typeof (value as NativeHistogram).count === 'string' && typeof (value as NativeHistogram).sum === 'string';
}
