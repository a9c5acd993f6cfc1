import { describe, expect, it } from 'vitest';
import { applyOutputBudget, estimateTokens } from '../../src/budgets/apply-output-budget.ts';

const lines = Array.from({ length: 5000 }, (_, index) => `line ${index} ${'x'.repeat(40)}`);
const text = lines.join('\n');

describe('output budget', () => {
  it('returns small outputs unchanged', () => {
    expect(applyOutputBudget('hello\nworld', { budgetBytes: 1000 })).toBe('hello\nworld');
  });

  it('keeps the head of text at line boundaries and says how to narrow', () => {
    const result = applyOutputBudget(text, { budgetBytes: 4096, hint: 'use label_selector.' });
    expect(Buffer.byteLength(result)).toBeLessThanOrEqual(4096);
    expect(result.startsWith('line 0 ')).toBe(true);
    const body = result.split('\n').slice(0, -1);
    expect(body.every((line) => /^line \d+ x{40}$/.test(line))).toBe(true);
    expect(result).toMatch(/\[output cut: showing the first \d+ of 5000 lines \(\d+ of \d+ bytes\)\. use label_selector\.\]$/);
  });

  it('keeps the tail of logs', () => {
    const result = applyOutputBudget(text, { budgetBytes: 2048, kind: 'log' });
    expect(Buffer.byteLength(result)).toBeLessThanOrEqual(2048);
    expect(result.endsWith(`line 4999 ${'x'.repeat(40)}`)).toBe(true);
    expect(result).toMatch(/^\[output cut: showing the last \d+ of 5000 lines/);
  });

  it('slices one enormous line instead of returning nothing', () => {
    const result = applyOutputBudget('y'.repeat(100_000), { budgetBytes: 1000 });
    expect(Buffer.byteLength(result)).toBeLessThanOrEqual(1000);
    expect(result).toContain('yyyy');
    expect(estimateTokens(result)).toBeLessThanOrEqual(250);
  });
});
