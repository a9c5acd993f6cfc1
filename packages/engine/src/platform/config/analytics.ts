/** Analytics settings (GET /analytics/metrics). Parsed once by config/index.ts. */
import { z } from 'zod';
import { modelPriceSchema } from '@skyflo/protocol';

const prices = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be JSON such as {"gpt-4o":{"prompt":2.5,"completion":10,"cached":1.25}} (US dollars per million tokens)' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string().min(1), modelPriceSchema, { error: 'must map model names to {prompt, completion, cached?} in US dollars per million tokens' }));

export const analyticsConfigSchema = z
  .object({
    /**
     * Model prices that replace or extend the built-in table (@skyflo/protocol's model-prices.ts), in US dollars per million
     * tokens, e.g. {"gpt-4o":{"prompt":2.5,"completion":10,"cached":1.25},"my-finetune":{"prompt":3,"completion":12}}.
     */
    ANALYTICS_MODEL_PRICES: prices.default({}),
  })
  .transform((env) => ({ modelPrices: env.ANALYTICS_MODEL_PRICES }));

export type AnalyticsConfig = z.output<typeof analyticsConfigSchema>;
