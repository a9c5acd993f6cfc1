/**
 * Prices for the cost column: the protocol's table (the one the engine's analytics uses, in US dollars per million
 * tokens), plus the scripted model, which costs nothing. `--price in,out[,cached]` overrides it for the model being
 * scored; an unknown model gets no cost rather than a guess.
 */
import { costOf as costOfPrice, createPriceLookup, modelPricesAsOf, type ModelPrice } from '@skyflo/protocol';

export const pricesAsOf = modelPricesAsOf;

/** The price of a model named as the evals name it (`openai/gpt-4o`, `anthropic/claude-sonnet-4-5`, `sim`). */
export const priceOf = createPriceLookup({ sim: { prompt: 0, completion: 0, cached: 0 } });

/** Parses `--price 2.5,10[,1.25]` (prompt, completion and cached prompt tokens). */
export function parsePrice(text: string): ModelPrice {
  const parts = text.split(',').map((part) => Number(part.trim()));
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !Number.isFinite(part) || part < 0)) {
    throw new Error(`--price must be "input,output[,cached]" in USD per million tokens, e.g. 2.5,10,1.25; got "${text}"`);
  }
  return { prompt: parts[0]!, completion: parts[1]!, ...(parts[2] !== undefined ? { cached: parts[2] } : {}) };
}

/** Dollars for an attempt's tokens; null when the model has no price. */
export function costOf(tokens: { prompt: number; completion: number; cached: number }, price: ModelPrice | undefined): number | null {
  return price ? costOfPrice(price, tokens) : null;
}
