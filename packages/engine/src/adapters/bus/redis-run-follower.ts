/**
 * One subscriber's reading of a run: live messages from the channel, and the replay buffer for what came before (or
 * was missed). Each message is delivered once and in index order: live messages that arrive while the buffer is read
 * wait, and a gap in the live indexes (a dropped connection) is filled from the buffer before going on.
 */
import type { BusMessage } from '../../platform/ports/index.ts';
import type { BusLogger } from './bus-types.ts';
import type { ChannelHandler } from './redis-channels.ts';

export interface RunFollower {
  /** the handler of the run's channel */
  onLive: ChannelHandler;
  /** reads the buffer after the last delivered index; one at a time (a request during one runs it again) */
  catchUp(): Promise<void>;
}

export function followRun(options: {
  runId: string;
  afterIndex: number;
  readBuffer: (runId: string, afterIndex: number) => Promise<BusMessage[]>;
  onMessage: (message: BusMessage) => void;
  logger?: BusLogger | undefined;
}): RunFollower {
  const { runId, readBuffer, onMessage } = options;
  let lastDelivered = options.afterIndex;
  let catchingUp = true;
  const queued: BusMessage[] = [];

  function deliver(message: BusMessage): void {
    try {
      onMessage(message);
    } catch (error) {
      options.logger?.warn({ err: error }, 'event bus subscriber threw');
    }
  }

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
    deliver(message);
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
            deliver(message);
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
          deliver(message);
        }
      }
    })();
    return running;
  }

  return { onLive, catchUp };
}
