import { describe, expect, it } from 'vitest';
import { formatMetric, formatNumber, seriesForUi, summariseInstant, summariseRange, type RangeSeries } from './summarise-series.ts';
import type { NativeHistogram } from './native-histograms.ts';

// 2024-05-01T10:00:00Z; a range of an hour at a 60 s step (61 evaluations)
const start = 1714557600;
const grid = { start, end: start + 3600, step: 60 };
const at = (minute: number) => start + minute * 60;
const series = (app: string, values: Array<number | string>, firstMinute = 61 - values.length): RangeSeries => ({ metric: { app }, values: values.map((value, index): [number, string] => [at(firstMinute + index), String(value)]) });
const summarise = (list: RangeSeries[], budgetBytes = 4000) => summariseRange(list, { budgetBytes, grid });

describe('summarising Prometheus answers for the model', () => {
  it('puts the worst (highest peak) series first with min, max, the last point and its time, and the trend', () => {
    const lastThreeMinutes = { start: at(58), end: at(60), step: 60 };
    const text = summariseRange([series('cart', [0.02, 0.021, 0.02]), series('search', [0.2, 0.9, 1.6]), series('web', [0.5, 0.3, 0.1])], { budgetBytes: 4000, grid: lastThreeMinutes });
    expect(text.split('\n')).toEqual([
      '3 series, highest peak first:',
      '{app="search"}  min 0.2  max 1.6  last 1.6 at 11:00:00Z  rising (from 0.2)',
      '{app="web"}  min 0.1  max 0.5  last 0.1 at 11:00:00Z  falling (from 0.5)',
      '{app="cart"}  min 0.02  max 0.021  last 0.02 at 11:00:00Z  flat',
    ]);
  });

  it('reads +Inf as +Inf, not NaN: up / 0 is a division by zero, and says what it means', () => {
    const text = summariseInstant(
      [
        { metric: { job: 'api' }, value: [at(60), '+Inf'] },
        { metric: { job: 'db' }, value: [at(60), 'NaN'] },
        { metric: { job: 'web' }, value: [at(60), '2'] },
        { metric: { job: 'old' }, value: [at(60), '-Inf'] },
      ],
      { budgetBytes: 2000 },
    );
    expect(text.split('\n')).toEqual([
      '4 series, largest first:',
      '{job="api"}  +Inf',
      '{job="web"}  2',
      '{job="old"}  -Inf',
      '{job="db"}  NaN',
      'Note: NaN is 0/0: nothing to divide, e.g. a ratio or histogram_quantile over a window with no requests; it is neither zero nor an error.',
      'Note: +Inf is a positive number divided by zero (x/0), e.g. errors over a request rate of zero, or a quantile above 1.',
      'Note: -Inf is a negative number divided by zero (-x/0), or a quantile below 0.',
    ]);
  });

  it('a range whose points are all NaN or ±Inf is reported series by series, never as "no series matched"', () => {
    const quiet = Array.from({ length: 61 }, () => 'NaN');
    const text = summarise([series('checkout', quiet), series('search', ['+Inf', 'NaN', '+Inf']), series('cart', [0.5, 'NaN', 0.7])]);
    expect(text).not.toMatch(/No series matched/);
    expect(text.split('\n')).toEqual([
      '3 series, highest peak first:',
      '{app="search"}  3 points, none a number: 2 +Inf, 1 NaN  last +Inf at 11:00:00Z  — began 10:58:00Z (58m after the range start)',
      '{app="cart"}  min 0.5  max 0.7  last 0.7 at 11:00:00Z  rising (from 0.5)  (1 NaN of 3 points)  — began 10:58:00Z (58m after the range start)',
      '{app="checkout"}  all 61 points NaN  last NaN at 11:00:00Z',
      expect.stringMatching(/^Note: NaN is 0\/0/),
      expect.stringMatching(/^Note: \+Inf is a positive number divided by zero/),
    ]);
  });

  it('a series that ended 12 minutes before the range end says so, and "last" is its last point with that time', () => {
    const gone = series('old-pod', Array.from({ length: 49 }, () => 1), 0);
    const live = series('new-pod', Array.from({ length: 61 }, () => 1));
    const lines = summarise([gone, live]).split('\n');
    expect(lines[0]).toBe('2 series (1 ended before the range end), highest peak first:');
    expect(lines).toContain('{app="old-pod"}  min 1  max 1  last 1 at 10:48:00Z  flat  — ended 10:48:00Z (12m before the range end; no value since)');
    expect(lines).toContain('{app="new-pod"}  min 1  max 1  last 1 at 11:00:00Z  flat');
  });

  it('names gaps by the step: a 90 s hole in a 15 s-step range', () => {
    const fine = { start, end: start + 600, step: 15 };
    const times = Array.from({ length: 41 }, (_, index) => start + index * 15).filter((time) => time <= start + 300 || time > start + 375);
    const text = summariseRange([{ metric: { pod: 'api-1' }, values: times.map((time): [number, string] => [time, '3']) }], { budgetBytes: 2000, grid: fine });
    expect(text.split('\n')[1]).toBe('{pod="api-1"}  min 3  max 3  last 3 at 10:10:00Z  flat  — 1 gap (longest: no points between 10:05:00Z and 10:06:30Z, 1m30s)');
  });

  it('shows full dates when the range spans days', () => {
    const days = { start, end: start + 2 * 86400, step: 3600 };
    const values = Array.from({ length: 49 }, (_, index): [number, string] => [start + index * 3600, '1']);
    expect(summariseRange([{ metric: { a: 'b' }, values }], { budgetBytes: 1000, grid: days })).toContain('last 1 at 2024-05-03T10:00:00Z');
  });

  it('summarises native histograms (instant and range) instead of failing on them', () => {
    const histogram: NativeHistogram = {
      count: '100',
      sum: '30',
      buckets: [
        [0, '0.125', '0.25', '50'],
        [0, '0.25', '0.5', '40'],
        [0, '1', '2', '10'],
      ],
    };
    const instant = summariseInstant(
      [
        { metric: { __name__: 'rpc_duration_seconds', job: 'api' }, histogram: [at(60), histogram] },
        { metric: { __name__: 'up', job: 'api' }, value: [at(60), '1'] },
      ],
      { budgetBytes: 2000 },
    );
    expect(instant.split('\n')).toEqual(['2 series, largest first:', 'up{job="api"}  1', 'rpc_duration_seconds{job="api"}  native histogram: count 100, sum 30, mean 0.3, p50 ≈ 0.25, p90 ≈ 0.5, p99 ≈ 1.9']);
    const range = summarise([
      { metric: { job: 'api' }, histograms: [[at(59), { count: '60', sum: '18' }], [at(60), histogram]] },
      series('web', [1, 2]),
    ]);
    expect(range.split('\n')).toEqual([
      '2 series, highest peak first:',
      '{app="web"}  min 1  max 2  last 2 at 11:00:00Z  rising (from 1)  — began 10:59:00Z (59m after the range start)',
      '{job="api"}  native histogram, 2 points; at 11:00:00Z: count 100, sum 30, mean 0.3, p50 ≈ 0.25, p90 ≈ 0.5, p99 ≈ 1.9; count at the first point 60  — began 10:59:00Z (59m after the range start)',
    ]);
    const forUi = seriesForUi([{ metric: { job: 'api' }, histograms: [[at(60), histogram]] }, series('web', [1, 2])], 10_000);
    expect(forUi.histograms).toBe(1);
    expect(forUi.series.map((entry) => entry.metric)).toEqual([{ app: 'web' }]);
  });

  it('stops at its budget and says how many series were left out', () => {
    const many = Array.from({ length: 50 }, (_, index) => series(`app-${String(index).padStart(2, '0')}`, [index, index + 1]));
    const text = summarise(many, 400);
    expect(Buffer.byteLength(text)).toBeLessThan(520);
    expect(text.split('\n')[1]).toContain('app-49');
    expect(text).toMatch(/… and \d+ more \(narrow the query/);
  });

  it('lists an instant vector largest first', () => {
    const text = summariseInstant(
      [
        { metric: { __name__: 'up', pod: 'a' }, value: [1, '3'] },
        { metric: { __name__: 'up', pod: 'b' }, value: [1, '12500'] },
      ],
      { budgetBytes: 1000 },
    );
    expect(text).toBe('2 series, largest first:\nup{pod="b"}  12.5k\nup{pod="a"}  3');
  });

  it('formats metrics and numbers as a reader expects', () => {
    expect(formatMetric({ __name__: 'http_requests_total', code: '500', app: 'x' })).toBe('http_requests_total{app="x", code="500"}');
    expect(formatNumber(1_536_000_000)).toBe('1.54G');
    expect(formatNumber(0.000123456)).toBe('0.000123');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('+Inf');
  });

  it('thins the UI series to the budget, keeping every series and its last point while it can', () => {
    const long = [series('a', Array.from({ length: 400 }, (_, index) => index), 0), series('b', Array.from({ length: 400 }, (_, index) => 400 - index), 0)];
    const { series: thinned, thinned: wasThinned, dropped } = seriesForUi(long, 6000);
    expect(wasThinned).toBe(true);
    expect(dropped).toBe(0);
    expect(thinned).toHaveLength(2);
    expect(Buffer.byteLength(JSON.stringify(thinned))).toBeLessThanOrEqual(6000);
    expect(thinned[0]!.values.at(-1)).toEqual(long[0]!.values!.at(-1));
    expect(seriesForUi(long, 1_000_000)).toEqual({ series: long, thinned: false, dropped: 0, histograms: 0 });
  });
});
