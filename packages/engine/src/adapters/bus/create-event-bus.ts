/** Chooses the event bus adapter: Redis when a URL is configured, otherwise in-process. */
import type { BusLogger, ReadyEventBus } from './bus-types.ts';
import { createMemoryEventBus } from './memory-event-bus.ts';

export interface EventBusConfig {
  /** REDIS_URL; unset → in-process bus (one engine process only). */
  redisUrl?: string;
  keyPrefix?: string;
  bufferTtlSeconds?: number;
  logger?: BusLogger;
}

/** The Redis adapter (and ioredis) is imported only when configured: most engines run in-process. */
export async function createEventBus(config: EventBusConfig): Promise<ReadyEventBus> {
  if (config.redisUrl) {
    const { createRedisEventBus } = await import('./redis-event-bus.ts');
    return createRedisEventBus({
      url: config.redisUrl,
      keyPrefix: config.keyPrefix,
      bufferTtlSeconds: config.bufferTtlSeconds,
      logger: config.logger,
    });
  }
  // the replay buffer keeps a run's answer as its text so far, not an object per token (memory-event-bus.ts)
  return createMemoryEventBus({ bufferTtlSeconds: config.bufferTtlSeconds, logger: config.logger, coalesceText: true });
}
