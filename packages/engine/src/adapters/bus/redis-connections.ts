/**
 * The event bus's two Redis connections (publisher, subscriber): checking REDIS_URL, connecting with the bus's
 * fail-fast settings, waiting until ready at start-up, and closing. Each connection keeps its last error, for the
 * start-up message and health().
 */
import { Redis } from 'ioredis';
import type { BusLogger } from './bus-types.ts';
import { redactRedisUrl, RedisConnectionError } from './redis-connection-error.ts';

export interface RedisConnectionSettings {
  url: string;
  /** named so `CLIENT LIST` shows whose connections these are */
  connectionName: string;
  connectAttempts?: number | undefined;
  connectTimeoutMs?: number | undefined;
  commandTimeoutMs?: number | undefined;
  logger?: BusLogger | undefined;
  /** once the bus is closed, a connection's errors are its own closing and not worth a warning */
  isClosed: () => boolean;
}

/** Refuses a REDIS_URL that is not a redis:// or rediss:// URL, before any connection is tried. */
export function assertRedisUrl(url: string): void {
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new RedisConnectionError(`REDIS_URL is not a valid URL (${redactRedisUrl(url)}); use redis://host:6379/0.`);
  }
  if (parsedUrl.protocol !== 'redis:' && parsedUrl.protocol !== 'rediss:') {
    throw new RedisConnectionError(`REDIS_URL must start with redis:// or rediss:// (got ${parsedUrl.protocol}//).`);
  }
}

/** The last error a connection reported (set by connectRedis). */
export const lastErrorOf = (client: Redis): Error | undefined => (client as Redis & { lastError?: Error }).lastError;

/** One connection; only the publisher pipelines (a subscribed connection runs no other commands anyway). */
export function connectRedis(settings: RedisConnectionSettings, role: 'publisher' | 'subscriber'): Redis {
  let connectedOnce = false;
  const client = new Redis(settings.url, {
    connectionName: settings.connectionName,
    connectTimeout: settings.connectTimeoutMs ?? 5000,
    commandTimeout: settings.commandTimeoutMs ?? 5000,
    enableAutoPipelining: role === 'publisher',
    // Why fail fast: while Redis is down, queued commands would hold every run and every new chat for many
    // seconds with no answer (15 s were seen); failing at once lets runs end with a clear error instead.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Fail fast at start-up (a typo in REDIS_URL should stop the engine with a clear message), but once
    // connected keep reconnecting: a Redis restart must not take the engine down.
    retryStrategy: (attempt) => (!connectedOnce && attempt >= (settings.connectAttempts ?? 3) ? null : Math.min(attempt * 100, 2000)),
  });
  client.on('ready', () => {
    connectedOnce = true;
  });
  client.on('error', (error: Error) => {
    (client as Redis & { lastError?: Error }).lastError = error;
    if (connectedOnce && !settings.isClosed()) settings.logger?.warn({ err: error, role }, 'redis event bus connection error');
  });
  return client;
}

/** Resolves once `client` is ready; rejects, naming REDIS_URL, when it gave up connecting (the start-up attempts ran out). */
export function waitUntilReady(client: Redis, url: string): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      client.off('ready', onReady);
      const cause = lastErrorOf(client);
      reject(
        new RedisConnectionError(
          `Cannot connect to Redis at ${redactRedisUrl(url)} (REDIS_URL): ${cause?.message ?? 'connection closed'}. ` +
            'Start Redis, fix REDIS_URL, or unset REDIS_URL to use the in-process event bus (single engine process only).',
          { cause },
        ),
      );
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/** QUIT when connected (replies already sent still arrive), else drop the connection. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
