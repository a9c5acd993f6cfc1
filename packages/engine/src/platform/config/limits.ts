/** Request-rate limits that protect the engine and the model budget. Parsed once by config/index.ts. */
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const limitsConfigSchema = z
  .object({
    /**
     * New conversations one user may start per minute (POST /conversations, and POST /agent/chat without a
     * conversation_id); more get 429 with Retry-After.
     */
    CONVERSATIONS_PER_MINUTE: positiveInt(30),
    /**
     * Requests one user (one client address when signed out) may make to /api/v1 per window, health checks
     * excepted; more get 429 with Retry-After. Counted in Redis when REDIS_URL is set, so every engine shares it.
     */
    RATE_LIMIT_PER_MINUTE: positiveInt(600),
    /** The window of RATE_LIMIT_PER_MINUTE, in seconds (60 unless you want a burstier or smoother limit). */
    RATE_LIMIT_WINDOW_SECONDS: positiveInt(60),
  })
  .transform((env) => ({ conversationsPerMinute: env.CONVERSATIONS_PER_MINUTE, requestsPerWindow: env.RATE_LIMIT_PER_MINUTE, windowSeconds: env.RATE_LIMIT_WINDOW_SECONDS }));

export type LimitsConfig = z.output<typeof limitsConfigSchema>;
