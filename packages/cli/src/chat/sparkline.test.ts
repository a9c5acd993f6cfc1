import { describe, expect, it } from 'vitest';
import { chartLines, sparkline } from './sparkline.ts';

const chart = (series: Array<[string, number[]]>, total?: number) => ({
  query: 'q',
  start: 0,
  end: 600,
  step: 60,
  series: series.map(([app, values]) => ({ metric: { app }, values: values.map((value, index): [number, string] => [index * 60, String(value)]) })),
  ...(total !== undefined ? { series_total: total } : {}),
});

describe('the terminal sparkline', () => {
  it('draws the lowest value as the shortest bar and the highest as the tallest', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5, 5])).toBe('▄▄▄');
    expect(sparkline([1, 2, 3, 4], 2)).toBe('▁█');
    expect(sparkline([Number.NaN])).toBe('');
  });

  it('prints the highest-peak series first with min, max and last, and says how many were left out', () => {
    const lines = chartLines(chart([['cart', [0.02, 0.02, 0.021]], ['search', [0.2, 0.9, 1.6]], ['web', [0.5, 0.3, 0.1]], ['db', [0.01, 0.01, 0.01]]], 5));
    expect(lines).toEqual([
      '{app="search"} ▁▄█ min 0.2 max 1.6 last 1.6',
      '{app="web"}    █▄▁ min 0.1 max 0.5 last 0.1',
      '{app="cart"}   ▁▁█ min 0.02 max 0.021 last 0.021',
      '… 2 more series',
    ]);
  });
});
