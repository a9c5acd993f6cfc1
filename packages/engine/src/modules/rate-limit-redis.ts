import type { Config } from '../platform/config/index.ts';

/**
 * The Redis connection the HTTP rate limits count in, when the bus is Redis (one engine's limits hold across replicas);
 * closed with the engine's own resources.
 */
export async function openRateLimitRedis(bus: Config['bus']) {
  if (!bus.redisUrl) return undefined;
  const { Redis: RedisClient } = await import('ioredis');
  // commandTimeout: a stalled Redis fails the count (skipped: the limit protects capacity, not access) rather than
  // hold every API request behind it (issue 75: a new chat hung 15 s on a frozen Redis).
  const client = new RedisClient(bus.redisUrl, { maxRetriesPerRequest: 1, keyPrefix: bus.keyPrefix, commandTimeout: 2_000 });
  // Errors are reported by the bus's health; this connection only counts requests and reconnects by itself.
  client.on('error', () => undefined);
  return { client, close: async () => void (await client.quit().catch(() => client.disconnect())) };
}
