import { describe, expect, it } from 'vitest';
import { formatMetric, formatNumber, seriesForUi, summariseInstant, summariseRange, type RangeSeries } from './summarise-series.ts';

const series = (app: string, values: number[]): RangeSeries => ({ metric: { app }, values: values.map((value, index): [number, string] => [1000 + index * 60, String(value)]) });

describe('summarising Prometheus answers for the model', () => {
  it('puts the worst (highest peak) series first with min, max, last and trend', () => {
    const text = summariseRange([series('cart', [0.02, 0.021, 0.02]), series('search', [0.2, 0.9, 1.6]), series('web', [0.5, 0.3, 0.1])], { budgetBytes: 4000 });
    expect(text.split('\n')).toEqual([
      '3 series, highest peak first:',
      '{app="search"}  min 0.2  max 1.6  last 1.6  rising (from 0.2)',
      '{app="web"}  min 0.1  max 0.5  last 0.1  falling (from 0.5)',
      '{app="cart"}  min 0.02  max 0.021  last 0.02  flat',
    ]);
  });

  it('stops at its budget and says how many series were left out', () => {
    const many = Array.from({ length: 50 }, (_, index) => series(`app-${String(index).padStart(2, '0')}`, [index, index + 1]));
    const text = summariseRange(many, { budgetBytes: 400 });
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
  });

  it('thins the UI series to the budget, keeping every series and its last point while it can', () => {
    const long = [series('a', Array.from({ length: 400 }, (_, index) => index)), series('b', Array.from({ length: 400 }, (_, index) => 400 - index))];
    const { series: thinned, thinned: wasThinned, dropped } = seriesForUi(long, 6000);
    expect(wasThinned).toBe(true);
    expect(dropped).toBe(0);
    expect(thinned).toHaveLength(2);
    expect(Buffer.byteLength(JSON.stringify(thinned))).toBeLessThanOrEqual(6000);
    expect(thinned[0]!.values.at(-1)).toEqual(long[0]!.values.at(-1));
    expect(seriesForUi(long, 1_000_000)).toEqual({ series: long, thinned: false, dropped: 0 });
  });
});
