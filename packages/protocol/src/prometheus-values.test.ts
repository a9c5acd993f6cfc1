import { describe, expect, it } from 'vitest';
import { parsePrometheusValue, specialValueOf } from './prometheus-values.ts';

describe('reading Prometheus sample values', () => {
  it.each([
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['Inf', Number.POSITIVE_INFINITY],
    ['NaN', Number.NaN],
    ['0.25', 0.25],
    ['1e+21', 1e21],
    ['-3', -3],
    ['', Number.NaN],
  ])('%s → %s', (text, expected) => {
    expect(parsePrometheusValue(text)).toBe(expected);
  });

  it('names the special values, and nothing else', () => {
    expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 1.5].map(specialValueOf)).toEqual(['NaN', '+Inf', '-Inf', undefined, undefined]);
  });
});
