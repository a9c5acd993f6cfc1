/** What the engine exposes for monitoring. Parsed once by config/index.ts. */
import { z } from 'zod';

export const observabilityConfigSchema = z
  .object({
    /**
     * When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>` (METRICS_TOKEN_FILE supported).
     * Unset, /metrics is open: counts and durations only, never a conversation, argument or secret.
     */
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .transform((env) => ({ metricsToken: env.METRICS_TOKEN }));

export type ObservabilityConfig = z.output<typeof observabilityConfigSchema>;
