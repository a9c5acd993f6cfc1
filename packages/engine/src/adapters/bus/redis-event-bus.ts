/**
 * The Redis event bus: lets several engine processes share runs (chat on one, approve or stop on another).
 *
 * Per run: `<prefix>run:<id>:index` (INCR counter), `<prefix>run:<id>:events` (sorted set scored by index,
 * the replay buffer) and the pub/sub channel `<prefix>run:<id>`. Stops: the key `<prefix>stop:<id>`
 * (TTL 600 s) plus a notification on `<prefix>stop`.
 */
import { Redis } from 'ioredis';
import type { BusMessage } from '../../platform/ports/index.ts';
import type { BusLogger, ReadyEventBus } from './bus-types.ts';
import { BusPublishError } from '../../platform/ports/bus-publish-error.ts';
import { redactRedisUrl, RedisConnectionError } from './redis-connection-error.ts';
import { createStopListeners } from './stop-listeners.ts';

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

/**
 * INCR, buffer and PUBLISH in one script. The counter never goes below the last index this process published for the run
 * (ARGV[6]): a Redis restarted empty would otherwise count from 1 again, and subscribers, who drop indexes they have
 * seen, would silently skip the run's next events (issue 32's fault suite). Why a script: Redis runs it atomically, so the order in which
 * messages are published on the channel is exactly their index order even when two processes publish to
 * the same run, and a message is in the buffer no later than it is on the channel (which is what makes
 * subscribe-then-read-buffer gap-free). The message JSON is assembled from pre-encoded parts so Lua's
 * cjson never re-encodes (and never turns [] into {}).
 */
const publishScript = `
local index = redis.call('INCR', KEYS[1])
if index <= tonumber(ARGV[6]) then
  index = tonumber(ARGV[6]) + 1
  redis.call('SET', KEYS[1], index)
end
local message = '{"index":' .. index .. ',"event":' .. ARGV[1] .. ',"data":' .. ARGV[2] .. '}'
redis.call('ZADD', KEYS[2], index, message)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -1 - tonumber(ARGV[5]))
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[3], message)
return index
`;

type PublishingRedis = Redis & {
  skyfloPublish(
    indexKey: string,
    bufferKey: string,
    event: string,
    data: string,
    channel: string,
    ttlSeconds: number,
    maxBuffered: number,
    /** the last index this process published for the run: a Redis that lost its counter (a restart) never reuses one */
    floor: number,
  ): Promise<number>;
};

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

  let parsedUrl: URL;
  try {
    parsedUrl = new URL(options.url);
  } catch {
    throw new RedisConnectionError(`REDIS_URL is not a valid URL (${redactRedisUrl(options.url)}); use redis://host:6379/0.`);
  }
  if (parsedUrl.protocol !== 'redis:' && parsedUrl.protocol !== 'rediss:') {
    throw new RedisConnectionError(`REDIS_URL must start with redis:// or rediss:// (got ${parsedUrl.protocol}//).`);
  }

  const publisher = connect('publisher') as PublishingRedis;
  publisher.defineCommand('skyfloPublish', { numberOfKeys: 2, lua: publishScript });
  // Pub/sub needs a connection of its own: a subscribed connection cannot run other commands.
  const subscriber = connect('subscriber');
  const readiness = Promise.all([waitUntilReady(publisher), waitUntilReady(subscriber)]).then(() => undefined);
  // A start-up failure is reported by whoever awaits the bus first; never as an unhandled rejection.
  readiness.catch(() => undefined);

  type ChannelHandler = (payload: unknown) => void;
  const channels = new Map<string, { handlers: Set<ChannelHandler>; subscribed: Promise<unknown> }>();
  const stopListeners = createStopListeners(options.logger);
  let closed = false;
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
    // Channels joined while Redis was down were never subscribed there (ioredis only re-subscribes what succeeded).
    for (const channel of channels.keys()) subscriber.subscribe(channel).catch(() => undefined);
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

  subscriber.on('message', (channel: string, payload: string) => {
    const entry = channels.get(channel);
    if (!entry) return;
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch (error) {
      options.logger?.warn({ err: error, channel }, 'ignoring a malformed event bus message');
      return;
    }
    for (const handler of [...entry.handlers]) handler(message);
  });

  function connect(role: string): Redis {
    let connectedOnce = false;
    const client = new Redis(options.url, {
      // Named so `CLIENT LIST` shows whose connections these are.
      connectionName: `${prefix.replace(/\s/g, '_')}event-bus-${role}`,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      commandTimeout: options.commandTimeoutMs ?? 5000,
      enableAutoPipelining: role === 'publisher',
      // Why fail fast: while Redis is down, queued commands would hold every run and every new chat for many
      // seconds with no answer (15 s were seen); failing at once lets runs end with a clear error instead.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // Fail fast at start-up (a typo in REDIS_URL should stop the engine with a clear message), but once
      // connected keep reconnecting: a Redis restart must not take the engine down.
      retryStrategy: (attempt) => (!connectedOnce && attempt >= (options.connectAttempts ?? 3) ? null : Math.min(attempt * 100, 2000)),
    });
    client.on('ready', () => {
      connectedOnce = true;
    });
    client.on('error', (error: Error) => {
      (client as Redis & { lastError?: Error }).lastError = error;
      if (connectedOnce && !closed) options.logger?.warn({ err: error, role }, 'redis event bus connection error');
    });
    return client;
  }

  function waitUntilReady(client: Redis): Promise<void> {
    if (client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onReady = () => {
        client.off('end', onEnd);
        resolve();
      };
      const onEnd = () => {
        client.off('ready', onReady);
        const cause = (client as Redis & { lastError?: Error }).lastError;
        reject(
          new RedisConnectionError(
            `Cannot connect to Redis at ${redactRedisUrl(options.url)} (REDIS_URL): ${cause?.message ?? 'connection closed'}. ` +
              'Start Redis, fix REDIS_URL, or unset REDIS_URL to use the in-process event bus (single engine process only).',
            { cause },
          ),
        );
      };
      client.once('ready', onReady);
      client.once('end', onEnd);
    });
  }

  async function ready(): Promise<void> {
    if (closed) throw new Error('The event bus is closed.');
    await readiness;
  }

  /**
   * Registers the handler locally first and then subscribes in Redis. A failed SUBSCRIBE (Redis down) is logged,
   * not thrown: the handler still receives what this process publishes (local delivery), and the channel is
   * subscribed in Redis when the connection comes back.
   */
  async function join(channel: string, handler: ChannelHandler): Promise<void> {
    let entry = channels.get(channel);
    if (!entry) {
      entry = {
        handlers: new Set(),
        subscribed: subscriber.subscribe(channel).catch((error: unknown) => options.logger?.warn({ err: error, channel }, 'event bus subscribe failed; delivering this process\'s events locally until Redis is back')),
      };
      channels.set(channel, entry);
    }
    entry.handlers.add(handler);
    await entry.subscribed;
  }

  async function leave(channel: string, handler: ChannelHandler): Promise<void> {
    const entry = channels.get(channel);
    if (!entry?.handlers.delete(handler) || entry.handlers.size > 0) return;
    channels.delete(channel);
    // Commands on one connection run in order, so a later join() of the same channel re-subscribes after this.
    if (!closed) await subscriber.unsubscribe(channel).catch(() => undefined);
  }

  async function readBuffer(runId: string, afterIndex: number): Promise<BusMessage[]> {
    const rows = await publisher.zrangebyscore(keys.buffer(runId), `(${afterIndex}`, '+inf');
    return rows.map((row) => JSON.parse(row) as BusMessage);
  }

  function deliver(onMessage: (message: BusMessage) => void, message: BusMessage): void {
    try {
      onMessage(message);
    } catch (error) {
      options.logger?.warn({ err: error }, 'event bus subscriber threw');
    }
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
        const entry = channels.get(keys.channel(runId));
        for (const handler of [...(entry?.handlers ?? [])]) handler(fallback);
        throw new BusPublishError(`The event bus (Redis at ${redactRedisUrl(options.url)}) is unavailable: ${error instanceof Error ? error.message : String(error)}`, (entry?.handlers.size ?? 0) > 0, { cause: error });
      }
      rememberPublished(runId, index);
      return { index, event, data };
    },

    async subscribe(runId, onMessage, subscribeOptions = {}) {
      await ready();
      const channel = keys.channel(runId);
      let lastDelivered = subscribeOptions.afterIndex ?? 0;
      let catchingUp = true;
      const queued: BusMessage[] = [];

      const onLive: ChannelHandler = (payload) => {
        const message = payload as BusMessage;
        if (catchingUp) {
          queued.push(message);
          return;
        }
        if (message.index <= lastDelivered) return;
        if (message.index > lastDelivered + 1) {
          // A gap means live messages were lost (e.g. the subscriber connection dropped and came back):
          // fetch the missing ones from the buffer before going on.
          queued.push(message);
          void catchUp();
          return;
        }
        lastDelivered = message.index;
        deliver(onMessage, message);
      };

      let running: Promise<void> | undefined;
      let again = false;
      // One catch-up at a time (a gap and a reconnect can ask together); a request during one runs it again.
      function catchUp(): Promise<void> {
        if (running) {
          again = true;
          return running;
        }
        running = (async () => {
          catchingUp = true;
          try {
            do {
              again = false;
              for (const message of await readBuffer(runId, lastDelivered)) {
                if (message.index <= lastDelivered) continue;
                lastDelivered = message.index;
                deliver(onMessage, message);
              }
            } while (again);
          } catch (error) {
            options.logger?.warn({ err: error, runId }, 'could not read the event replay buffer');
          } finally {
            catchingUp = false;
            running = undefined;
            // What arrived meanwhile, in order; anything still missing is gone (buffer expired or trimmed),
            // so deliver the rest rather than wait for it forever.
            for (const message of queued.splice(0)) {
              if (message.index <= lastDelivered) continue;
              lastDelivered = message.index;
              deliver(onMessage, message);
            }
          }
        })();
        return running;
      }

      // Subscribe first, then read the buffer: whatever is published in between shows up in both and is
      // dropped by index, and nothing can fall between the two.
      await join(channel, onLive);
      await catchUp();
      resyncs.add(catchUp);
      let active = true;
      return async () => {
        if (!active) return;
        active = false;
        resyncs.delete(catchUp);
        await leave(channel, onLive);
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
      await join(stopChannel, stopHandler);
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
      const cause = (down[0]![1] as Redis & { lastError?: Error }).lastError?.message;
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

async function closeClient(client: Redis): Promise<void> {
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
