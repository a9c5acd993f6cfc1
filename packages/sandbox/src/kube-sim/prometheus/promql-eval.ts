/**
 * Evaluates the PromQL subset kube-sim serves over its generated series: selectors with matchers (and offset),
 * range selectors with rate/irate/increase/delta and the *_over_time functions, histogram_quantile, a few math
 * functions, sum/avg/min/max/count/topk/bottomk with by/without, arithmetic, comparisons (with bool) and
 * and/or/unless with on/ignoring. Semantics follow Prometheus's engine where they matter to a reader: metric names are
 * dropped by arithmetic and functions, a comparison filters, one-to-one matching refuses duplicates.
 */
import type { Labels, SimSeries } from './series-model.ts';
import { PromQLError, type Expr, type Matcher } from './promql-ast.ts';

export interface Sample {
  labels: Labels;
  value: number;
}
export type Value =
  | { kind: 'vector'; samples: Sample[] }
  | { kind: 'matrix'; series: Array<{ labels: Labels; points: Array<[number, number]> }> }
  | { kind: 'scalar'; value: number }
  | { kind: 'string'; value: string };

/** How far back an instant selector looks, and how often the simulated scrapes happen (seconds). */
export const lookbackSeconds = 300;
export const scrapeIntervalSeconds = 15;

const anchored = (pattern: string) => new RegExp(`^(?:${pattern})$`);

function matches(labels: Labels, matchers: Matcher[], regexes: Map<string, RegExp>): boolean {
  return matchers.every((matcher) => {
    const value = labels[matcher.name] ?? '';
    if (matcher.type === '=') return value === matcher.value;
    if (matcher.type === '!=') return value !== matcher.value;
    const regex = regexes.get(matcher.value)!;
    return matcher.type === '=~' ? regex.test(value) : !regex.test(value);
  });
}

export const labelKey = (labels: Labels) =>
  JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((key) => [key, labels[key]]),
  );
const withoutName = ({ __name__: _, ...rest }: Labels): Labels => rest;
const pick = (labels: Labels, names: string[]): Labels => Object.fromEntries(names.filter((name) => labels[name] !== undefined).map((name) => [name, labels[name]!]));
const omit = (labels: Labels, names: string[]): Labels => Object.fromEntries(Object.entries(labels).filter(([name]) => !names.includes(name)));

function alive(series: SimSeries, t: number): boolean {
  return t >= series.start && (series.end === undefined || t <= series.end);
}

function scrapeTimes(series: SimSeries, from: number, to: number): number[] {
  const times: number[] = [];
  const last = Math.min(to, series.end ?? to);
  for (let t = Math.ceil(Math.max(from, series.start) / scrapeIntervalSeconds) * scrapeIntervalSeconds; t <= last; t += scrapeIntervalSeconds) {
    if (t > from) times.push(t);
  }
  return times;
}

/** Prometheus's bucketQuantile: linear interpolation inside the bucket the rank falls into. */
export function bucketQuantile(q: number, buckets: Array<{ le: number; count: number }>): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted.at(-1)!.le !== Infinity) return Number.NaN;
  const total = sorted.at(-1)!.count;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let index = sorted.findIndex((bucket) => bucket.count >= rank);
  if (index === sorted.length - 1) return sorted[sorted.length - 2]!.le;
  if (index === 0 && sorted[0]!.le <= 0) return sorted[0]!.le;
  let start = 0;
  let below = 0;
  if (index > 0) {
    start = sorted[index - 1]!.le;
    below = sorted[index - 1]!.count;
  }
  index = Math.max(index, 0);
  const bucket = sorted[index]!;
  const inBucket = bucket.count - below;
  return inBucket === 0 ? bucket.le : start + (bucket.le - start) * ((rank - below) / inBucket);
}

const arithmetic: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '^': (a, b) => a ** b,
};
const comparison: Record<string, (a: number, b: number) => boolean> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
};
const simpleFunctions: Record<string, (value: number) => number> = { abs: Math.abs, ceil: Math.ceil, floor: Math.floor, sqrt: Math.sqrt, exp: Math.exp, ln: Math.log, log2: Math.log2, log10: Math.log10 };
const overTime: Record<string, (values: number[]) => number> = {
  avg_over_time: (values) => values.reduce((a, b) => a + b, 0) / values.length,
  sum_over_time: (values) => values.reduce((a, b) => a + b, 0),
  min_over_time: (values) => Math.min(...values),
  max_over_time: (values) => Math.max(...values),
  count_over_time: (values) => values.length,
  last_over_time: (values) => values.at(-1)!,
};

/**
 * Prometheus' extrapolatedRate (promql/functions.go, 2.x): the increase between the window's first and last sample,
 * counter resets added back, extrapolated towards the window's edges (at most half an average interval past a
 * sample, never below zero for a counter). What `rate`, `increase` and `delta` answer on a real Prometheus.
 */
export function extrapolatedRate(points: Array<[number, number]>, window: { start: number; end: number; seconds: number }, isCounter: boolean, isRate: boolean): number | undefined {
  if (points.length < 2) return undefined;
  const [firstTime, firstValue] = points[0]!;
  const [lastTime, lastValue] = points.at(-1)!;
  let result = lastValue - firstValue;
  if (isCounter) {
    let previous = 0;
    for (const [, value] of points) {
      if (value < previous) result += previous;
      previous = value;
    }
  }
  let toStart = firstTime - window.start;
  const toEnd = window.end - lastTime;
  const sampled = lastTime - firstTime;
  const averageInterval = sampled / (points.length - 1);
  if (isCounter && result > 0 && firstValue >= 0) toStart = Math.min(toStart, sampled * (firstValue / result));
  const threshold = averageInterval * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : averageInterval / 2;
  interval += toEnd < threshold ? toEnd : averageInterval / 2;
  result *= interval / sampled;
  return isRate ? result / window.seconds : result;
}

/** irate/idelta: the last two samples (irate reads a drop as a counter reset). */
function instantRate(points: Array<[number, number]>, isRate: boolean): number | undefined {
  if (points.length < 2) return undefined;
  const [previousTime, previous] = points.at(-2)!;
  const [lastTime, last] = points.at(-1)!;
  const change = isRate && last < previous ? last : last - previous;
  return isRate ? change / (lastTime - previousTime) : change;
}

/** deriv: the least-squares slope per second. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const meanT = points.reduce((sum, [t]) => sum + t, 0) / n;
  const meanV = points.reduce((sum, [, v]) => sum + v, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [t, v] of points) {
    covariance += (t - meanT) * (v - meanV);
    variance += (t - meanT) ** 2;
  }
  return covariance / variance;
}

/** Prometheus refuses an operation whose result holds two samples with one label set (e.g. rate over two metrics). */
function distinct(value: Value): Value {
  if (value.kind !== 'vector') return value;
  const keys = new Set<string>();
  for (const sample of value.samples) {
    const key = labelKey(sample.labels);
    if (keys.has(key)) throw new PromQLError('vector cannot contain metrics with the same labelset');
    keys.add(key);
  }
  return value;
}

/** Evaluates `expr` at time `t` (unix seconds) over `series`. Throws PromQLError for what the subset lacks. */
export function evaluate(expr: Expr, t: number, series: SimSeries[]): Value {
  const regexes = new Map<string, RegExp>();
  const select = (matchers: Matcher[]) => {
    for (const matcher of matchers) {
      if ((matcher.type === '=~' || matcher.type === '!~') && !regexes.has(matcher.value)) {
        try {
          regexes.set(matcher.value, anchored(matcher.value));
        } catch {
          throw new PromQLError(`invalid regular expression "${matcher.value}"`);
        }
      }
    }
    return series.filter((candidate) => matches(candidate.labels, matchers, regexes));
  };

  const vector = (value: Value, what: string): Sample[] => {
    if (value.kind !== 'vector') throw new PromQLError(`expected type instant vector in ${what}, got ${value.kind === 'matrix' ? 'range vector' : value.kind}`);
    return value.samples;
  };
  const scalarOf = (value: Value, what: string): number => {
    if (value.kind !== 'scalar') throw new PromQLError(`expected type scalar in ${what}, got ${value.kind === 'vector' ? 'instant vector' : value.kind}`);
    return value.value;
  };

  function matrixFunction(fn: string, args: Expr[], at: number): Value {
    const arg = args[0];
    if (!arg || arg.type !== 'matrix') throw new PromQLError(`expected type range vector in call to function "${fn}"`);
    const range = ev(arg, at) as Extract<Value, { kind: 'matrix' }>;
    const window = { start: at - arg.selector.offset - arg.range, end: at - arg.selector.offset, seconds: arg.range };
    const samples: Sample[] = [];
    for (const { labels, points } of range.series) {
      let value: number | undefined;
      if (overTime[fn]) value = points.length > 0 ? overTime[fn](points.map((point) => point[1])) : undefined;
      else if (fn === 'rate' || fn === 'increase' || fn === 'delta') value = extrapolatedRate(points, window, fn !== 'delta', fn === 'rate');
      else if (fn === 'irate' || fn === 'idelta') value = instantRate(points, fn === 'irate');
      else if (fn === 'deriv') value = points.length >= 2 ? slope(points) : undefined;
      else if (fn === 'changes' || fn === 'resets') value = points.slice(1).filter(([, v], index) => (fn === 'changes' ? v !== points[index]![1] : v < points[index]![1])).length;
      if (value !== undefined) samples.push({ labels: fn === 'last_over_time' ? labels : withoutName(labels), value });
    }
    return { kind: 'vector', samples };
  }

  function call(fn: string, args: Expr[], at: number): Value {
    if (fn in overTime || ['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets'].includes(fn)) return matrixFunction(fn, args, at);
    if (fn === 'time') return { kind: 'scalar', value: at };
    if (fn === 'vector') return { kind: 'vector', samples: [{ labels: {}, value: scalarOf(ev(args[0]!, at), 'vector()') }] };
    if (fn === 'scalar') {
      const samples = vector(ev(args[0]!, at), 'scalar()');
      return { kind: 'scalar', value: samples.length === 1 ? samples[0]!.value : Number.NaN };
    }
    if (fn === 'histogram_quantile') {
      const q = scalarOf(ev(args[0]!, at), 'histogram_quantile()');
      const groups = new Map<string, { labels: Labels; buckets: Array<{ le: number; count: number }> }>();
      for (const sample of vector(ev(args[1]!, at), 'histogram_quantile()')) {
        const le = sample.labels['le'];
        if (le === undefined) continue;
        const labels = omit(withoutName(sample.labels), ['le']);
        const key = labelKey(labels);
        const group = groups.get(key) ?? { labels, buckets: [] };
        group.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: sample.value });
        groups.set(key, group);
      }
      return { kind: 'vector', samples: [...groups.values()].map((group) => ({ labels: group.labels, value: bucketQuantile(q, group.buckets) })) };
    }
    if (fn === 'clamp_min' || fn === 'clamp_max' || fn === 'round') {
      const samples = vector(ev(args[0]!, at), `${fn}()`);
      const bound = args[1] ? scalarOf(ev(args[1], at), `${fn}()`) : 1;
      const apply = fn === 'clamp_min' ? (v: number) => Math.max(v, bound) : fn === 'clamp_max' ? (v: number) => Math.min(v, bound) : (v: number) => Math.round(v / bound) * bound;
      return { kind: 'vector', samples: samples.map((sample) => ({ labels: withoutName(sample.labels), value: apply(sample.value) })) };
    }
    if (fn === 'sort' || fn === 'sort_desc') {
      const samples = [...vector(ev(args[0]!, at), `${fn}()`)].sort((a, b) => (fn === 'sort' ? a.value - b.value : b.value - a.value));
      return { kind: 'vector', samples };
    }
    const simple = simpleFunctions[fn];
    if (simple) return { kind: 'vector', samples: vector(ev(args[0]!, at), `${fn}()`).map((sample) => ({ labels: withoutName(sample.labels), value: simple(sample.value) })) };
    throw new PromQLError(`function "${fn}" is not supported by kube-sim's PromQL subset`);
  }

  function aggregate(expr: Extract<Expr, { type: 'aggregate' }>, at: number): Value {
    const samples = vector(ev(expr.expr, at), `aggregation ${expr.op}`);
    const groupLabels = (labels: Labels) => (expr.by ? pick(labels, expr.by) : expr.without ? omit(withoutName(labels), expr.without) : {});
    const groups = new Map<string, { labels: Labels; samples: Sample[] }>();
    for (const sample of samples) {
      const labels = groupLabels(sample.labels);
      const key = labelKey(labels);
      const group = groups.get(key) ?? { labels, samples: [] };
      group.samples.push(sample);
      groups.set(key, group);
    }
    if (expr.op === 'topk' || expr.op === 'bottomk') {
      const k = Math.floor(scalarOf(ev(expr.param!, at), expr.op));
      const out: Sample[] = [];
      for (const group of groups.values()) {
        const sorted = [...group.samples].sort((a, b) => (expr.op === 'topk' ? b.value - a.value : a.value - b.value));
        out.push(...sorted.slice(0, Math.max(0, k)));
      }
      return { kind: 'vector', samples: out };
    }
    const reduce: Record<string, (values: number[]) => number> = {
      sum: (values) => values.reduce((a, b) => a + b, 0),
      avg: (values) => values.reduce((a, b) => a + b, 0) / values.length,
      min: (values) => Math.min(...values),
      max: (values) => Math.max(...values),
      count: (values) => values.length,
      group: () => 1,
    };
    const fn = reduce[expr.op];
    if (!fn) throw new PromQLError(`aggregation "${expr.op}" is not supported by kube-sim's PromQL subset`);
    return { kind: 'vector', samples: [...groups.values()].map((group) => ({ labels: group.labels, value: fn(group.samples.map((sample) => sample.value)) })) };
  }

  function binary(expr: Extract<Expr, { type: 'binary' }>, at: number): Value {
    const left = ev(expr.left, at);
    const right = ev(expr.right, at);
    const { op } = expr;
    const isComparison = op in comparison;
    const combine = (a: number, b: number): number | undefined => {
      if (isComparison) return comparison[op]!(a, b) ? (expr.bool ? 1 : a) : expr.bool ? 0 : undefined;
      const fn = arithmetic[op];
      if (!fn) throw new PromQLError(`operator "${op}" not allowed here`);
      return fn(a, b);
    };
    if (left.kind === 'scalar' && right.kind === 'scalar') {
      if (isComparison && !expr.bool) throw new PromQLError('comparisons between scalars must use BOOL modifier');
      return { kind: 'scalar', value: combine(left.value, right.value)! };
    }
    const dropName = !isComparison || expr.bool;
    if (left.kind === 'scalar' || right.kind === 'scalar') {
      const scalarLeft = left.kind === 'scalar';
      const scalar = scalarLeft ? left.value : (right as { value: number }).value;
      const samples = vector(scalarLeft ? right : left, `binary expression ${op}`);
      const out: Sample[] = [];
      for (const sample of samples) {
        let value = scalarLeft ? combine(scalar, sample.value) : combine(sample.value, scalar);
        // a filtering comparison keeps the vector's own value, whichever side it is on
        if (value !== undefined && isComparison && !expr.bool) value = sample.value;
        if (value !== undefined) out.push({ labels: dropName ? withoutName(sample.labels) : sample.labels, value });
      }
      return { kind: 'vector', samples: out };
    }
    const lhs = vector(left, `binary expression ${op}`);
    const rhs = vector(right, `binary expression ${op}`);
    const signature = (labels: Labels) => labelKey(expr.on ? pick(labels, expr.on) : omit(withoutName(labels), expr.ignoring ?? []));
    if (op === 'and' || op === 'unless' || op === 'or') {
      const rightKeys = new Set(rhs.map((sample) => signature(sample.labels)));
      if (op === 'and') return { kind: 'vector', samples: lhs.filter((sample) => rightKeys.has(signature(sample.labels))) };
      if (op === 'unless') return { kind: 'vector', samples: lhs.filter((sample) => !rightKeys.has(signature(sample.labels))) };
      const leftKeys = new Set(lhs.map((sample) => signature(sample.labels)));
      return { kind: 'vector', samples: [...lhs, ...rhs.filter((sample) => !leftKeys.has(signature(sample.labels)))] };
    }
    const byKey = new Map<string, Sample>();
    for (const sample of rhs) {
      const key = signature(sample.labels);
      if (byKey.has(key)) throw new PromQLError(`found duplicate series for the match group ${key} on the right hand-side of the operation: many-to-many matching not allowed`);
      byKey.set(key, sample);
    }
    const seen = new Set<string>();
    const out: Sample[] = [];
    for (const sample of lhs) {
      const key = signature(sample.labels);
      const match = byKey.get(key);
      if (!match) continue;
      if (seen.has(key)) throw new PromQLError(`multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)`);
      seen.add(key);
      const value = combine(sample.value, match.value);
      if (value === undefined) continue;
      let labels = dropName ? withoutName(sample.labels) : sample.labels;
      if (expr.on) labels = pick(labels, expr.on);
      else if (expr.ignoring) labels = omit(labels, expr.ignoring);
      out.push({ labels, value });
    }
    return { kind: 'vector', samples: out };
  }

  function ev(node: Expr, at: number): Value {
    switch (node.type) {
      case 'number':
        return { kind: 'scalar', value: node.value };
      case 'string':
        return { kind: 'string', value: node.value };
      case 'selector': {
        const when = at - node.offset;
        const samples: Sample[] = [];
        for (const candidate of select(node.matchers)) {
          // the latest scrape within the lookback window, as Prometheus picks the latest sample; a series that ended is
          // stale from the next scrape on (Prometheus writes a staleness marker when a scrape misses it), not for the
          // five minutes of the lookback
          if (candidate.end !== undefined && when >= candidate.end + scrapeIntervalSeconds) continue;
          const times = scrapeTimes(candidate, when - lookbackSeconds, when);
          const last = times.at(-1);
          if (last !== undefined && alive(candidate, last)) samples.push({ labels: candidate.labels, value: candidate.value(last) });
        }
        return { kind: 'vector', samples };
      }
      case 'matrix': {
        const when = at - node.selector.offset;
        const out = select(node.selector.matchers)
          .map((candidate) => ({ labels: candidate.labels, points: scrapeTimes(candidate, when - node.range, when).map((time): [number, number] => [time, candidate.value(time)]) }))
          .filter((entry) => entry.points.length > 0);
        return { kind: 'matrix', series: out };
      }
      case 'call':
        return distinct(call(node.fn, node.args, at));
      case 'aggregate':
        return aggregate(node, at);
      case 'binary':
        return distinct(binary(node, at));
      case 'unary': {
        const inner = ev(node.expr, at);
        if (inner.kind === 'scalar') return { kind: 'scalar', value: -inner.value };
        return distinct({ kind: 'vector', samples: vector(inner, 'unary expression').map((sample) => ({ labels: withoutName(sample.labels), value: -sample.value })) });
      }
    }
  }
  return ev(expr, t);
}
