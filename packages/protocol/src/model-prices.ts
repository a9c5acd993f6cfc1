/**
 * What a model costs, in US dollars per million tokens: the one table behind the engine's GET /analytics/metrics
 * (cost per user and model) and the evals' cost column, so both price the same model the same. Maintained by hand
 * from the providers' public price pages (see modelPricesAsOf); an installation with negotiated prices or another
 * model sets ANALYTICS_MODEL_PRICES (engine config/analytics.ts), an eval run `--price`, which win. Local models
 * (Ollama, llm-sim) cost nothing. Pure data and arithmetic, no I/O: that is why it lives in the protocol, the one
 * package both the engine and the evals may import.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

/** One model's price, as the built-in table and ANALYTICS_MODEL_PRICES write it. */
export const modelPriceSchema = deferred(() => z
  .object({
    /** per million prompt tokens that were not served from the cache */
    prompt: z.number().min(0),
    /** per million completion tokens */
    completion: z.number().min(0),
    /** per million cached prompt tokens (default: the prompt price) */
    cached: z.number().min(0).optional(),
  })
  .strict());
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** When the built-in table was last checked against the providers' price pages. */
export const modelPricesAsOf = '2026-11';

export const defaultModelPrices: Readonly<Record<string, ModelPrice>> = {
  'gpt-5': { prompt: 1.25, completion: 10, cached: 0.125 },
  'gpt-5-mini': { prompt: 0.25, completion: 2, cached: 0.025 },
  'gpt-5-nano': { prompt: 0.05, completion: 0.4, cached: 0.005 },
  'gpt-4.1': { prompt: 2, completion: 8, cached: 0.5 },
  'gpt-4.1-mini': { prompt: 0.4, completion: 1.6, cached: 0.1 },
  'gpt-4.1-nano': { prompt: 0.1, completion: 0.4, cached: 0.025 },
  'gpt-4o': { prompt: 2.5, completion: 10, cached: 1.25 },
  'gpt-4o-mini': { prompt: 0.15, completion: 0.6, cached: 0.075 },
  o3: { prompt: 2, completion: 8, cached: 0.5 },
  'o4-mini': { prompt: 1.1, completion: 4.4, cached: 0.275 },
  'claude-opus-4': { prompt: 15, completion: 75, cached: 1.5 },
  'claude-sonnet-4': { prompt: 3, completion: 15, cached: 0.3 },
  'claude-3-7-sonnet': { prompt: 3, completion: 15, cached: 0.3 },
  'claude-3-5-haiku': { prompt: 0.8, completion: 4, cached: 0.08 },
  'claude-haiku-4': { prompt: 1, completion: 5, cached: 0.1 },
  'gemini-2.5-pro': { prompt: 1.25, completion: 10, cached: 0.31 },
  'gemini-2.5-flash': { prompt: 0.3, completion: 2.5, cached: 0.075 },
  'gemini-2.0-flash': { prompt: 0.1, completion: 0.4, cached: 0.025 },
};

/** Providers whose models run locally: always free, never "unpriced". */
const freeProviders = ['ollama', 'sim', 'llm-sim', 'local'];

/**
 * "openai/gpt-4o-2024-08-06" → "gpt-4o-2024-08-06" and its provider. Lower-cased; the dated suffix is kept here and
 * dropped by the prefix match in priceOf.
 */
function split(model: string): { provider?: string; name: string } {
  const lowered = model.trim().toLowerCase();
  const slash = lowered.lastIndexOf('/');
  const colon = lowered.indexOf(':');
  if (slash >= 0) return { provider: lowered.slice(0, lowered.indexOf('/')), name: lowered.slice(slash + 1) };
  if (colon >= 0 && freeProviders.includes(lowered.slice(0, colon))) return { provider: lowered.slice(0, colon), name: lowered.slice(colon + 1) };
  return { name: lowered };
}

export type PriceLookup = (model: string) => ModelPrice | undefined;

/**
 * Finds a model's price: an exact entry (overrides first, with or without the provider prefix), else the longest
 * entry the name starts with followed by "-" (so "gpt-4o-2024-08-06" is gpt-4o, and "gpt-4o-mini" is not gpt-4o).
 */
export function createPriceLookup(overrides: Readonly<Record<string, ModelPrice>> = {}): PriceLookup {
  const table = new Map<string, ModelPrice>();
  for (const [key, price] of Object.entries(defaultModelPrices)) table.set(key.toLowerCase(), price);
  for (const [key, price] of Object.entries(overrides)) table.set(key.trim().toLowerCase(), price);
  const keys = [...table.keys()].sort((a, b) => b.length - a.length);
  return (model) => {
    const full = model.trim().toLowerCase();
    const exact = table.get(full);
    if (exact) return exact;
    const { provider, name } = split(model);
    if (table.has(name)) return table.get(name);
    const prefix = keys.find((key) => name.startsWith(`${key}-`));
    if (prefix) return table.get(prefix);
    if (provider && freeProviders.includes(provider)) return { prompt: 0, completion: 0, cached: 0 };
    return undefined;
  };
}

/** Dollars for one answer's tokens; cached prompt tokens are billed at the cached price. */
export function costOf(price: ModelPrice, tokens: { prompt: number; completion: number; cached: number }): number {
  const cached = Math.min(tokens.cached, tokens.prompt);
  return ((tokens.prompt - cached) * price.prompt + cached * (price.cached ?? price.prompt) + tokens.completion * price.completion) / 1_000_000;
}
