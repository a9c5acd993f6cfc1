import { describe, expect, it } from 'vitest';
import { costOf, createPriceLookup } from './model-prices.ts';

describe('the one price table, as the evals name models', () => {
  const priceOf = createPriceLookup();
  // What the evals' own table said before it was folded into this one: same model, same price.
  it.each([
    ['openai/gpt-4o', { prompt: 2.5, completion: 10, cached: 1.25 }],
    ['openai/gpt-4o-mini', { prompt: 0.15, completion: 0.6, cached: 0.075 }],
    ['openai/gpt-4.1-mini', { prompt: 0.4, completion: 1.6, cached: 0.1 }],
    ['openai/gpt-5-mini', { prompt: 0.25, completion: 2, cached: 0.025 }],
    ['anthropic/claude-sonnet-4-5', { prompt: 3, completion: 15, cached: 0.3 }],
    ['anthropic/claude-haiku-4-5', { prompt: 1, completion: 5, cached: 0.1 }],
    ['anthropic/claude-opus-4-1', { prompt: 15, completion: 75, cached: 1.5 }],
    ['google/gemini-2.5-pro', { prompt: 1.25, completion: 10, cached: 0.31 }],
    ['google/gemini-2.5-flash', { prompt: 0.3, completion: 2.5, cached: 0.075 }],
  ])('%s', (model, price) => {
    expect(priceOf(model)).toEqual(price);
  });

  it('prices the scripted model only when a caller says it is free, and an override wins', () => {
    expect(priceOf('sim')).toBeUndefined();
    expect(createPriceLookup({ sim: { prompt: 0, completion: 0, cached: 0 } })('sim')).toEqual({ prompt: 0, completion: 0, cached: 0 });
    expect(createPriceLookup({ 'openai/gpt-4o': { prompt: 1, completion: 2 } })('openai/gpt-4o')).toEqual({ prompt: 1, completion: 2 });
    expect(costOf({ prompt: 1, completion: 2 }, { prompt: 1_000_000, completion: 1_000_000, cached: 500_000 })).toBeCloseTo(3, 10);
  });
});
