import { describe, expect, it } from 'vitest';
import { parsePromQL, PromQLError } from './promql-ast.ts';
import { bucketQuantile, evaluate, extrapolatedRate, type Value } from './promql-eval.ts';
import type { SimSeries } from './series-model.ts';

// Series a reader can check by hand: counters growing at a fixed rate from t=0, gauges constant.
const T = 3600;
const counter = (labels: Record<string, string>, perSecond: number): SimSeries => ({ labels, start: 0, value: (t) => perSecond * t });
const gauge = (labels: Record<string, string>, value: number, end?: number): SimSeries => ({ labels, start: 0, ...(end !== undefined ? { end } : {}), value: () => value });
const buckets = (app: string, fractions: Record<string, number>, perSecond: number): SimSeries[] =>
  Object.entries(fractions).map(([le, share]) => counter({ __name__: 'http_request_duration_seconds_bucket', app, le }, perSecond * share));

const series: SimSeries[] = [
  counter({ __name__: 'http_requests_total', namespace: 'prod', app: 'checkout', code: '200' }, 10),
  counter({ __name__: 'http_requests_total', namespace: 'prod', app: 'checkout', code: '500' }, 2),
  counter({ __name__: 'http_requests_total', namespace: 'prod', app: 'payments', code: '200' }, 30),
  counter({ __name__: 'http_requests_total', namespace: 'staging', app: 'web', code: '200' }, 1),
  gauge({ __name__: 'kube_deployment_spec_replicas', namespace: 'prod', deployment: 'checkout' }, 3),
  gauge({ __name__: 'kube_deployment_status_replicas_available', namespace: 'prod', deployment: 'checkout' }, 1),
  gauge({ __name__: 'kube_deployment_spec_replicas', namespace: 'prod', deployment: 'payments' }, 3),
  gauge({ __name__: 'kube_deployment_status_replicas_available', namespace: 'prod', deployment: 'payments' }, 3),
  gauge({ __name__: 'old_pod_memory', pod: 'gone' }, 5, 1000),
  // half the requests under 0.1 s, all under 0.5 s: the median is 0.1, the 0.75 quantile halfway into (0.1, 0.5]
  ...buckets('checkout', { '0.1': 0.5, '0.5': 1, '+Inf': 1 }, 100),
];

const run = (query: string, t = T): Value => evaluate(parsePromQL(query), t, series);
const vector = (query: string, t = T) => {
  const value = run(query, t);
  if (value.kind !== 'vector') throw new Error(`expected a vector, got ${value.kind}`);
  return value.samples.map((sample) => ({ ...sample.labels, value: Number(sample.value.toFixed(6)) })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
};

describe('kube-sim PromQL subset', () => {
  it.each([
    ['equality matcher', 'kube_deployment_spec_replicas{deployment="checkout"}', [{ __name__: 'kube_deployment_spec_replicas', namespace: 'prod', deployment: 'checkout', value: 3 }]],
    ['regex matcher is anchored', 'http_requests_total{app=~"check"}', []],
    ['negative regex', 'http_requests_total{code!~"2..", app="checkout"}', [{ __name__: 'http_requests_total', namespace: 'prod', app: 'checkout', code: '500', value: 7_200 }]],
    ['rate drops the metric name', 'rate(http_requests_total{app="payments"}[5m])', [{ namespace: 'prod', app: 'payments', code: '200', value: 30 }]],
    ['increase over the range', 'increase(http_requests_total{app="web"}[10m])', [{ namespace: 'staging', app: 'web', code: '200', value: 600 }]],
    ['sum by', 'sum by (app) (rate(http_requests_total{namespace="prod"}[5m]))', [{ app: 'checkout', value: 12 }, { app: 'payments', value: 30 }]],
    ['sum without', 'sum without (code, app) (rate(http_requests_total[5m]))', [{ namespace: 'prod', value: 42 }, { namespace: 'staging', value: 1 }]],
    ['error ratio: vector / vector on matching labels', 'sum by (app) (rate(http_requests_total{code="500"}[5m])) / sum by (app) (rate(http_requests_total[5m]))', [{ app: 'checkout', value: 0.166667 }]],
    ['comparison filters and keeps the value', 'kube_deployment_spec_replicas != kube_deployment_status_replicas_available', [{ __name__: 'kube_deployment_spec_replicas', namespace: 'prod', deployment: 'checkout', value: 3 }]],
    ['comparison with bool', 'kube_deployment_status_replicas_available == bool 3', [{ namespace: 'prod', deployment: 'checkout', value: 0 }, { namespace: 'prod', deployment: 'payments', value: 1 }]],
    ['scalar comparison on the right', 'rate(http_requests_total[5m]) > 5', [{ namespace: 'prod', app: 'checkout', code: '200', value: 10 }, { namespace: 'prod', app: 'payments', code: '200', value: 30 }]],
    ['histogram_quantile median', 'histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[5m]))', [{ app: 'checkout', value: 0.1 }]],
    ['histogram_quantile interpolates', 'histogram_quantile(0.75, sum by (le, app) (rate(http_request_duration_seconds_bucket[5m])))', [{ app: 'checkout', value: 0.3 }]],
    ['arithmetic with a scalar', 'kube_deployment_spec_replicas{deployment="payments"} * 2 - 1', [{ namespace: 'prod', deployment: 'payments', value: 5 }]],
    ['unless', 'kube_deployment_spec_replicas unless on (deployment) kube_deployment_status_replicas_available < 2', [{ __name__: 'kube_deployment_spec_replicas', namespace: 'prod', deployment: 'payments', value: 3 }]],
    ['a deleted series is gone after its end', 'old_pod_memory', []],
  ])('%s: %s', (_name, query, expected) => {
    expect(vector(query)).toEqual(expected);
  });

  it('topk keeps the k largest, largest first', () => {
    const value = run('topk(2, sum by (app) (rate(http_requests_total[5m])))');
    expect(value.kind === 'vector' && value.samples.map((sample) => [sample.labels['app'], sample.value])).toEqual([
      ['payments', 30],
      ['checkout', 12],
    ]);
  });

  it('a series answers for instants inside its life, and offset looks back', () => {
    expect(vector('old_pod_memory', 900)).toEqual([{ __name__: 'old_pod_memory', pod: 'gone', value: 5 }]);
    expect(vector('old_pod_memory offset 3000')).toEqual([{ __name__: 'old_pod_memory', pod: 'gone', value: 5 }]);
  });

  it('scalars: arithmetic, and comparisons only with bool', () => {
    expect(run('2 * 3 + 1')).toEqual({ kind: 'scalar', value: 7 });
    expect(run('1 < bool 2')).toEqual({ kind: 'scalar', value: 1 });
    expect(() => run('1 < 2')).toThrow(/BOOL/);
  });

  it.each([
    ['rate(http_requests_total[5m]', /1:29: parse error: unclosed left parenthesis/],
    ['{app=""}', /at least one non-empty matcher/],
    ['foo(http_requests_total)', /1:1: parse error: unknown function with name "foo"/],
    ['label_replace(kube_deployment_spec_replicas, "a", "$1", "b", "(.*)")', /not supported/],
    ['rate(http_requests_total[5m])[10m:1m]', /not supported/],
    ['rate(kube_deployment_spec_replicas)', /range vector/],
    ['kube_deployment_spec_replicas / on (namespace) kube_deployment_status_replicas_available', /many-to-many|many-to-one/],
  ])('refuses %s', (query, message) => {
    expect(() => run(query)).toThrow(PromQLError);
    expect(() => run(query)).toThrow(message);
  });

  it('refuses an operation whose result repeats a label set, as Prometheus does (422), instead of answering both', () => {
    // both metrics lose their name to abs(): {namespace="prod", deployment="checkout"} twice
    expect(() => run('abs({__name__=~"kube_deployment_spec_replicas|kube_deployment_status_replicas_available"})')).toThrow('vector cannot contain metrics with the same labelset');
    expect(() => run('rate({__name__=~"http_requests_total|http_request_duration_seconds_bucket", app="checkout", code="200"}[5m])')).not.toThrow();
  });

  it('rate and increase extrapolate and add counter resets back like Prometheus\' extrapolatedRate', () => {
    // scrapes every 15 s over a 1m window ending at 60: 15, 30, 45, 60; the counter restarts from 0 at 45
    const points: Array<[number, number]> = [
      [15, 10],
      [30, 20],
      [45, 5],
      [60, 15],
    ];
    // increase 15 - 10 + 20 (reset) = 25 over 45 s sampled, extrapolated to the start (15 s < 1.1 x 15 s) = 60 s
    expect(extrapolatedRate(points, { start: 0, end: 60, seconds: 60 }, true, false)).toBeCloseTo(33.333, 3);
    expect(extrapolatedRate(points, { start: 0, end: 60, seconds: 60 }, true, true)).toBeCloseTo(0.5556, 4);
    // delta does not treat the drop as a reset
    expect(extrapolatedRate(points, { start: 0, end: 60, seconds: 60 }, false, false)).toBeCloseTo(6.667, 3);
    expect(extrapolatedRate([[60, 1]], { start: 0, end: 60, seconds: 60 }, true, false)).toBeUndefined();
  });

  it('bucketQuantile follows Prometheus at the edges', () => {
    const sample = [
      { le: 1, count: 10 },
      { le: Infinity, count: 20 },
    ];
    expect(bucketQuantile(0.99, sample)).toBe(1);
    expect(bucketQuantile(0.25, sample)).toBe(0.5);
    expect(bucketQuantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeNaN();
  });
});
