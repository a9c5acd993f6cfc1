/**
 * The subscriber connection's channels: the handlers this process registered per channel (joined locally first, then
 * subscribed in Redis), the messages Redis delivers to them, and the channels to subscribe again after a reconnect.
 * The handlers also serve local delivery: while Redis is down, a publish hands its event to them directly.
 */
import type { Redis } from 'ioredis';
import type { BusLogger } from './bus-types.ts';

export type ChannelHandler = (payload: unknown) => void;

export function createRedisChannels(subscriber: Redis, options: { logger?: BusLogger | undefined; isClosed: () => boolean }) {
  const channels = new Map<string, { handlers: Set<ChannelHandler>; subscribed: Promise<unknown> }>();

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

  return {
    /**
     * Registers the handler locally first and then subscribes in Redis. A failed SUBSCRIBE (Redis down) is logged,
     * not thrown: the handler still receives what this process publishes (local delivery), and the channel is
     * subscribed in Redis when the connection comes back.
     */
    async join(channel: string, handler: ChannelHandler): Promise<void> {
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
    },

    async leave(channel: string, handler: ChannelHandler): Promise<void> {
      const entry = channels.get(channel);
      if (!entry?.handlers.delete(handler) || entry.handlers.size > 0) return;
      channels.delete(channel);
      // Commands on one connection run in order, so a later join() of the same channel re-subscribes after this.
      if (!options.isClosed()) await subscriber.unsubscribe(channel).catch(() => undefined);
    },

    /** This process's handlers of `channel` (a copy: a handler may leave while the others run). */
    handlersOf(channel: string): ChannelHandler[] {
      return [...(channels.get(channel)?.handlers ?? [])];
    },

    hasHandlers(channel: string): boolean {
      return (channels.get(channel)?.handlers.size ?? 0) > 0;
    },

    /** Channels joined while Redis was down were never subscribed there (ioredis only re-subscribes what succeeded). */
    subscribeAgain(): void {
      for (const channel of channels.keys()) subscriber.subscribe(channel).catch(() => undefined);
    },

    clear(): void {
      channels.clear();
    },
  };
}
