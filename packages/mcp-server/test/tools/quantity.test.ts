/** Quantities print in apimachinery's canonical form in describe output (what `kubectl describe` shows). */
import { describe, expect, it } from 'vitest';
import { addQuantities, formatQuantity, parseQuantity, quantityMilliValue, quantityValue } from '../../src/tools/kubectl/quantity.ts';

describe('quantity canonical form', () => {
  it.each([
    ['1000m', '1'],
    ['0.5', '500m'],
    ['0.1', '100m'],
    ['1.5', '1500m'],
    ['2000', '2k'],
    ['100Mi', '100Mi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1000Ki', '1000Ki'],
    ['512', '512'],
    ['1e3', '1e3'],
    ['129e6', '129e6'],
    ['128974848', '128974848'],
    ['0', '0'],
    ['0Mi', '0'],
    ['1n', '1n'],
    ['0.0000000001', '1n'],
    [5, '5'],
  ])('%s prints as %s', (input, expected) => {
    expect(formatQuantity(parseQuantity(input)!)).toBe(expected);
  });

  it('rejects what is not a quantity', () => {
    for (const input of ['', 'abc', '1.2.3', '5 Gi', '1Qi', undefined, null]) expect(parseQuantity(input)).toBeUndefined();
  });

  it('adds keeping the first operand\'s format, and rounds values up like Value() and MilliValue()', () => {
    expect(formatQuantity(addQuantities(parseQuantity('96Mi')!, parseQuantity('128Mi')!))).toBe('224Mi');
    expect(formatQuantity(addQuantities(parseQuantity('500m')!, parseQuantity('1')!))).toBe('1500m');
    expect(quantityValue(parseQuantity('1500m')!)).toBe(2n);
    expect(quantityMilliValue(parseQuantity('1.0001')!)).toBe(1001n);
  });
});
