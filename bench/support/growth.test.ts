import { describe, expect, it } from 'vitest';
import { growthExponent, growthKind, growthLine } from './growth.ts';

describe('growth fit', () => {
  it.each([
    ['flat', [1_000, 10_000, 100_000], (size: number) => 5 + 0 * size, 0, 'flat'],
    ['linear', [1_000, 10_000, 100_000], (size: number) => size / 100, 1, 'linear'],
    ['quadratic', [1_000, 10_000], (size: number) => (size * size) / 1e6, 2, 'SUPERLINEAR'],
    ['logarithmic', [10_000, 100_000], (size: number) => Math.log2(size), 0.1, 'flat'],
  ])('%s costs fit their exponent', (_name, sizes, cost, exponent, kind) => {
    const fitted = growthExponent(sizes.map((size) => ({ size, value: cost(size) })));
    expect(fitted).toBeCloseTo(exponent, 1);
    expect(growthKind(fitted)).toBe(kind);
  });

  it('needs two sizes, and says whether the size ratio met its goal', () => {
    expect(growthExponent([{ size: 10, value: 3 }])).toBeNaN();
    const within = growthLine('search', [{ size: 10_000, value: 2 }, { size: 100_000, value: 6 }], (ms) => `${ms} ms`, { maxRatio: 4, why: 'issue 79' });
    expect(within.met).toBe(true);
    expect(within.line).toMatch(/10,000: 2 ms, 100,000: 6 ms → ×10 size, ×3.00 cost, exponent 0.48 \(sublinear\); goal ≤ ×4 \(issue 79\) met/);
    expect(growthLine('search', [{ size: 10_000, value: 2 }, { size: 100_000, value: 20 }], String, { maxRatio: 4, why: 'x' }).met).toBe(false);
  });
});
