/**
 * The Redis event bus: lets several engine processes share runs (chat on one, approve or stop on another).
 *
 * Per run: `<prefix>run:<id>:index` (INCR counter), `<prefix>run:<id>:events` (sorted set scored by index,
 * the replay buffer) and the pub/sub channel `<prefix>run:<id>`. Stops: the key `<prefix>stop:<id>`
 * (TTL 600 s) plus a notification on `<prefix>stop`.
 *
 * Its parts beside it: the two connections (redis-connections.ts), the publish script (redis-publish-script.ts), the
 * subscriber's channels (redis-channels.ts) and each subscriber's gap-free reading of a run (redis-run-follower.ts).
 */
import type { BusMessage } from '../../platform/ports/index.ts';
import type { BusLogger, ReadyEventBus } from './bus-types.ts';
import { BusPublishError } from '../../platform/ports/bus-publish-error.ts';
import { redactRedisUrl } from './redis-connection-error.ts';
import { createStopListeners } from './stop-listeners.ts';
import { assertRedisUrl, closeClient, connectRedis, lastErrorOf, waitUntilReady, type RedisConnectionSettings } from './redis-connections.ts';
import { withPublishCommand } from './redis-publish-script.ts';
import { createRedisChannels, type ChannelHandler } from './redis-channels.ts';
import { followRun } from './redis-run-follower.ts';

export interface RedisEventBusOptions {
  /** redis:// or rediss:// URL (REDIS_URL). */
  url: string;
  /** Prefix of every key and channel, so several installations (or test runs) can share one Redis. */
  keyPrefix?: string;
  /** How long a run's replay buffer and counter live after its last event (default 1 h). */
  bufferTtlSeconds?: number;
  /** Most events kept per run for replay (default 50,000). */
  maxBufferedEvents?: number;
  /** How long a stop flag stays set (default 600 s). */
  stopTtlSeconds?: number;
  /** Give up connecting at start-up after this many failed attempts (default 3). */
  connectAttempts?: number;
  connectTimeoutMs?: number;
  /**
   * How long one Redis command may go unanswered before it fails (default 5 s). Issue 75: a Redis that stalls (frozen,
   * or its network gone quiet) keeps its connection open, and without a bound every publish — and the run waiting on
   * it — hung for as long as the stall lasted.
   */
  commandTimeoutMs?: number;
  logger?: BusLogger;
}

export function createRedisEventBus(options: RedisEventBusOptions): ReadyEventBus {
  const prefix = options.keyPrefix ?? 'skyflo:';
  const bufferTtlSeconds = options.bufferTtlSeconds ?? 3600;
  const maxBufferedEvents = options.maxBufferedEvents ?? 50_000;
  const stopTtlSeconds = options.stopTtlSeconds ?? 600;
  const stopChannel = `${prefix}stop`;
  const keys = {
    channel: (runId: string) => `${prefix}run:${runId}`,
    index: (runId: string) => `${prefix}run:${runId}:index`,
    buffer: (runId: string) => `${prefix}run:${runId}:events`,
    stop: (runId: string) => `${prefix}stop:${runId}`,
  };

  assertRedisUrl(options.url);

  let closed = false;
  const connection = (role: 'publisher' | 'subscriber'): RedisConnectionSettings => ({
    url: options.url,
    connectionName: `${prefix.replace(/\s/g, '_')}event-bus-${role}`,
    connectAttempts: options.connectAttempts,
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs,
    logger: options.logger,
    isClosed: () => closed,
  });
  const publisher = withPublishCommand(connectRedis(connection('publisher'), 'publisher'));
  // Pub/sub needs a connection of its own: a subscribed connection cannot run other commands.
  const subscriber = connectRedis(connection('subscriber'), 'subscriber');
  const readiness = Promise.all([waitUntilReady(publisher, options.url), waitUntilReady(subscriber, options.url)]).then(() => undefined);
  // A start-up failure is reported by whoever awaits the bus first; never as an unhandled rejection.
  readiness.catch(() => undefined);

  const channels = createRedisChannels(subscriber, { logger: options.logger, isClosed: () => closed });
  const stopListeners = createStopListeners(options.logger);
  /** The last index this process published per run; local delivery continues from it while Redis is down. */
  const lastPublished = new Map<string, number>();
  const rememberPublished = (runId: string, index: number) => {
    lastPublished.delete(runId); // re-inserted last: the map's order is least recently published first
    lastPublished.set(runId, index);
    if (lastPublished.size > 10_000) lastPublished.delete(lastPublished.keys().next().value!);
  };

  // Catch-up routines of live subscriptions, re-run after the subscriber connection comes back.
  const resyncs = new Set<() => Promise<void>>();
  let subscriberConnections = 0;
  subscriber.on('ready', () => {
    if (subscriberConnections++ === 0) return;
    channels.subscribeAgain();
    // ioredis re-subscribes right after 'ready'; a PING queued behind those SUBSCRIBEs resolves once they are
    // in effect, and only then is reading the buffer gap-free. Whatever was published while the connection
    // was down is in the buffer (and stop flags in their keys), so nothing waits for a next event to notice.
    queueMicrotask(() => {
      subscriber
        .ping()
        .then(async () => {
          await Promise.all([...resyncs].map((resync) => resync()));
          for (const runId of stopListeners.runIds()) if (await bus.isStopRequested(runId)) stopListeners.notify(runId);
        })
        .catch((error: unknown) => options.logger?.warn({ err: error }, 'event bus resync after reconnect failed'));
    });
  });

  async function ready(): Promise<void> {
    if (closed) throw new Error('The event bus is closed.');
    await readiness;
  }

  async function readBuffer(runId: string, afterIndex: number): Promise<BusMessage[]> {
    const rows = await publisher.zrangebyscore(keys.buffer(runId), `(${afterIndex}`, '+inf');
    return rows.map((row) => JSON.parse(row) as BusMessage);
  }

  const stopHandler: ChannelHandler = (payload) => {
    // Stop notifications carry the bare run id (JSON-encoded string).
    if (typeof payload === 'string') stopListeners.notify(payload);
  };

  const bus: ReadyEventBus = {
    ready,

    async publish(runId, event, data) {
      await ready();
      let index: number;
      try {
        index = Number(
          await publisher.skyfloPublish(keys.index(runId), keys.buffer(runId), JSON.stringify(event), JSON.stringify(data), keys.channel(runId), bufferTtlSeconds, maxBufferedEvents, lastPublished.get(runId) ?? 0),
        );
      } catch (error) {
        // Redis is gone: this process's own subscribers (the stream of a run started here) still get the event, with
        // the next index, so a run can end with a clear error that its client actually sees.
        const fallback = { index: (lastPublished.get(runId) ?? 0) + 1, event, data };
        rememberPublished(runId, fallback.index);
        const channel = keys.channel(runId);
        for (const handler of channels.handlersOf(channel)) handler(fallback);
        throw new BusPublishError(`The event bus (Redis at ${redactRedisUrl(options.url)}) is unavailable: ${error instanceof Error ? error.message : String(error)}`, channels.hasHandlers(channel), { cause: error });
      }
      rememberPublished(runId, index);
      return { index, event, data };
    },

    async subscribe(runId, onMessage, subscribeOptions = {}) {
      await ready();
      const channel = keys.channel(runId);
      const { onLive, catchUp } = followRun({ runId, afterIndex: subscribeOptions.afterIndex ?? 0, readBuffer, onMessage, logger: options.logger });
      // Subscribe first, then read the buffer: whatever is published in between shows up in both and is
      // dropped by index, and nothing can fall between the two.
      await channels.join(channel, onLive);
      await catchUp();
      resyncs.add(catchUp);
      let active = true;
      return async () => {
        if (!active) return;
        active = false;
        resyncs.delete(catchUp);
        await channels.leave(channel, onLive);
      };
    },

    async requestStop(runId) {
      await ready();
      try {
        await publisher.multi().set(keys.stop(runId), '1', 'EX', stopTtlSeconds).publish(stopChannel, JSON.stringify(runId)).exec();
      } catch (error) {
        // A run of this process still stops; one in another process cannot be reached until Redis is back.
        const local = stopListeners.runIds().includes(runId);
        if (local) stopListeners.notify(runId);
        throw new BusPublishError(`The stop could not be sent through Redis (${redactRedisUrl(options.url)}): ${error instanceof Error ? error.message : String(error)}`, local, { cause: error });
      }
    },

    async isStopRequested(runId) {
      await ready();
      return (await publisher.exists(keys.stop(runId))) === 1;
    },

    async onStop(runId, callback) {
      await ready();
      const { fire, remove } = stopListeners.add(runId, callback);
      // Listen first, then check the flag: a stop in between is caught by one or the other.
      await channels.join(stopChannel, stopHandler);
      // Redis down: the listener still fires for stops sent from this process (requestStop's local delivery).
      if (await bus.isStopRequested(runId).catch(() => false)) fire();
      return async () => remove();
    },

    async ping() {
      if (closed) throw new Error('the event bus is closed');
      try {
        await Promise.all([publisher.ping(), subscriber.ping()]);
      } catch (error) {
        throw new Error(`Redis (${redactRedisUrl(options.url)}) did not answer PING: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    },

    health() {
      if (closed) return { status: 'error', detail: 'the event bus is closed' };
      const down = ([['publisher', publisher], ['subscriber', subscriber]] as const).filter(([, client]) => client.status !== 'ready');
      if (down.length === 0) return { status: 'ok' };
      const cause = lastErrorOf(down[0]![1])?.message;
      return { status: 'error', detail: `Redis (${redactRedisUrl(options.url)}) is unreachable${cause ? `: ${cause}` : ''}` };
    },

    async close() {
      if (closed) return;
      closed = true;
      channels.clear();
      stopListeners.clear();
      resyncs.clear();
      await Promise.all([publisher, subscriber].map(closeClient));
    },
  };
  return bus;
}
