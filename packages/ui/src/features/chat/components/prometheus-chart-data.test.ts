import { describe, expect, it } from 'vitest';
import { chartRows, formatValue, formatWithUnit, labelOf, maxDrawn, prometheusGraphUrl, grafanaExploreUrl, rangeChoices, seriesToDraw, specialPoints, unitOf } from './prometheus-chart-data.ts';

const series = (app: string, points: Array<[number, string]>) => ({ metric: { app }, values: points });

describe('the Prometheus chart data', () => {
  it('draws the highest peaks when there are too many series, keeping their order', () => {
    const many = Array.from({ length: maxDrawn + 3 }, (_, index) => series(`a${index}`, [[1, String(index)]]));
    const drawn = seriesToDraw(many);
    expect(drawn.map((entry) => entry.metric.app)).toEqual(many.slice(3).map((entry) => entry.metric.app));
  });

  it('makes one row per timestamp and leaves a gap where a series has no point or NaN', () => {
    const rows = chartRows([series('a', [[10, '1'], [20, '2']]), series('b', [[20, '5'], [30, 'NaN']])]);
    expect(rows).toEqual([{ t: 10, s0: 1 }, { t: 20, s0: 2, s1: 5 }]);
  });

  it('counts the NaN and ±Inf points it cannot draw, reading "+Inf" as +Inf', () => {
    const chart = [series('a', [[10, '+Inf'], [20, 'NaN'], [30, '1']]), series('b', [[10, '-Inf'], [20, '+Inf']])];
    expect(specialPoints(chart)).toEqual([{ value: '+Inf', count: 2 }, { value: 'NaN', count: 1 }, { value: '-Inf', count: 1 }]);
    expect(chartRows(chart)).toEqual([{ t: 30, s0: 1 }]);
  });

  it('labels series and numbers as Prometheus users read them', () => {
    expect(labelOf({ __name__: 'up', app: 'checkout', code: '500' })).toBe('{app="checkout", code="500"}');
    expect(labelOf({ __name__: 'up' })).toBe('up');
    expect(formatValue(1234567)).toBe('1.23M');
    expect(formatValue(0.012345)).toBe('0.0123');
  });

  it('links to the same query and range in Prometheus, only for an http(s) source', () => {
    const chart = { query: 'sum(rate(x[5m]))', start: 1000, end: 4600, step: 60, series: [], source_url: 'http://prom.example:9090/' };
    const url = new URL(prometheusGraphUrl(chart)!);
    expect(url.origin + url.pathname).toBe('http://prom.example:9090/graph');
    expect(url.searchParams.get('g0.expr')).toBe('sum(rate(x[5m]))');
    expect(url.searchParams.get('g0.range_input')).toBe('3600s');
    expect(url.searchParams.get('g0.end_input')).toBe('1970-01-01T01:16:40.000Z');
    expect(prometheusGraphUrl({ ...chart, source_url: 'javascript:alert(1)' })).toBeUndefined();
    expect(prometheusGraphUrl({ ...chart, source_url: undefined })).toBeUndefined();
  });

  it('opens the same query and range in Grafana Explore, only when a Grafana URL is configured', () => {
    const chart = { query: 'histogram_quantile(0.99, x)', start: 1000, end: 4600, step: 60, series: [], grafana_url: 'https://grafana.example/' };
    const url = new URL(grafanaExploreUrl(chart)!);
    expect(url.origin + url.pathname).toBe('https://grafana.example/explore');
    expect(JSON.parse(url.searchParams.get('left')!)).toEqual({ queries: [{ refId: 'A', expr: 'histogram_quantile(0.99, x)' }], range: { from: '1000000', to: '4600000' } });
    expect(grafanaExploreUrl({ ...chart, grafana_url: 'javascript:alert(1)' })).toBeUndefined();
    expect(grafanaExploreUrl({ ...chart, grafana_url: undefined })).toBeUndefined();
  });

  it.each([
    ['histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="x"}[5m])))', 'seconds'],
    ['rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])', 'seconds'],
    ['container_memory_working_set_bytes{namespace="prod"}', 'bytes'],
    ['container_memory_working_set_bytes / container_spec_memory_limit_bytes', undefined],
    ['sum by (pod) (rate(container_cpu_usage_seconds_total[5m]))', 'cores'],
    ['rate(node_network_receive_bytes_total[5m])', 'bytes/s'],
    ['rate(http_request_duration_seconds_count[5m])', undefined],
    ['sum(rate(http_requests_total[5m]))', undefined],
    ['up', undefined],
  ])('reads the unit of %s as %s', (query, unit) => {
    expect(unitOf(query)).toBe(unit);
  });

  it('writes values with their unit', () => {
    expect([0.35, 3.56, 0.0002, 300].map((value) => formatWithUnit(value, 'seconds'))).toEqual(['350 ms', '3.56 s', '200 µs', '5 min']);
    expect(formatWithUnit(512 * 2 ** 20, 'bytes')).toBe('512 MiB');
    expect(formatWithUnit(1536, 'bytes/s')).toBe('1.5 KiB/s');
    expect(formatWithUnit(1.234, 'cores')).toBe('1.23 cores');
    expect(formatWithUnit(12_500, undefined)).toBe('12.5k');
  });

  it('offers the windows shorter than the data, then all of it', () => {
    expect(rangeChoices(3600).map((choice) => choice.label)).toEqual(['5m', '15m', 'all']);
    expect(rangeChoices(86_400).map((choice) => choice.label)).toEqual(['5m', '15m', '1h', '6h', 'all']);
  });
});
