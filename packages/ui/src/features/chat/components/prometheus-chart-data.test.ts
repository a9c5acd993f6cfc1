import { describe, expect, it } from 'vitest';
import { chartRows, formatValue, labelOf, maxDrawn, prometheusGraphUrl, seriesToDraw } from './prometheus-chart-data.ts';

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
});
