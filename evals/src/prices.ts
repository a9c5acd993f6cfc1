/**
 * List prices in USD per million tokens, to turn token counts into a cost. A snapshot (see `asOf`): providers
 * change prices, so `--price in,out[,cached]` overrides it for the model being scored. Unknown models get no cost
 * rather than a guess.
 */
export interface Price {
  input: number;
  output: number;
  /** cached prompt tokens (billed instead of `input` for those tokens) */
  cached?: number;
}

export const pricesAsOf = '2025-10';

export const prices: Record<string, Price> = {
  'openai/gpt-4o': { input: 2.5, output: 10, cached: 1.25 },
  'openai/gpt-4o-mini': { input: 0.15, output: 0.6, cached: 0.075 },
  'openai/gpt-4.1': { input: 2, output: 8, cached: 0.5 },
  'openai/gpt-4.1-mini': { input: 0.4, output: 1.6, cached: 0.1 },
  'openai/gpt-5': { input: 1.25, output: 10, cached: 0.125 },
  'openai/gpt-5-mini': { input: 0.25, output: 2, cached: 0.025 },
  'anthropic/claude-sonnet-4-5': { input: 3, output: 15, cached: 0.3 },
  'anthropic/claude-haiku-4-5': { input: 1, output: 5, cached: 0.1 },
  'anthropic/claude-opus-4-1': { input: 15, output: 75, cached: 1.5 },
  'google/gemini-2.5-pro': { input: 1.25, output: 10, cached: 0.31 },
  'google/gemini-2.5-flash': { input: 0.3, output: 2.5, cached: 0.075 },
  /** the scripted model costs nothing */
  sim: { input: 0, output: 0, cached: 0 },
};

/** Parses `--price 2.5,10[,1.25]`. */
export function parsePrice(text: string): Price {
  const parts = text.split(',').map((part) => Number(part.trim()));
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !Number.isFinite(part) || part < 0)) {
    throw new Error(`--price must be "input,output[,cached]" in USD per million tokens, e.g. 2.5,10,1.25; got "${text}"`);
  }
  return { input: parts[0]!, output: parts[1]!, ...(parts[2] !== undefined ? { cached: parts[2] } : {}) };
}

export function costOf(tokens: { prompt: number; completion: number; cached: number }, price: Price | undefined): number | null {
  if (!price) return null;
  const cached = Math.min(tokens.cached, tokens.prompt);
  const fresh = tokens.prompt - cached;
  return (fresh * price.input + cached * (price.cached ?? price.input) + tokens.completion * price.output) / 1_000_000;
}
