/** Where run events and stop requests travel: in-process by default, Redis to share runs between processes. */
import { z } from 'zod';

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

export const busConfigSchema = z
  .object({
    /**
     * redis:// or rediss:// URL (REDIS_URL_FILE supported by the config loader). Unset → in-process bus,
     * which is right for one engine process; set it to run several engines behind a load balancer.
     */
    REDIS_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0')
        .optional(),
    ),
    /** Prefix of every Redis key and channel the engine uses (lets installations share one Redis). */
    REDIS_KEY_PREFIX: z.preprocess(emptyToUndefined, z.string().max(64).default('skyflo:')),
    /** How long a run's events stay available for replay (SSE reconnects with Last-Event-ID), in seconds. */
    EVENT_BUFFER_TTL_SECONDS: z.preprocess(
      emptyToUndefined,
      z.coerce.number({ error: 'must be a whole number of seconds' }).int().positive().default(3600),
    ),
  })
  .transform((env) => ({
    redisUrl: env.REDIS_URL,
    keyPrefix: env.REDIS_KEY_PREFIX,
    bufferTtlSeconds: env.EVENT_BUFFER_TTL_SECONDS,
  }));

export type BusConfig = z.output<typeof busConfigSchema>;
