/**
 * The in-process event bus: the default when REDIS_URL is unset. Same semantics as the Redis adapter
 * (per-run index, replay buffer with a TTL, stop flags with a TTL) so the conformance suite runs unchanged.
 */
import type { BusMessage } from '../../platform/ports/index.ts';
import type { BusLogger, ReadyEventBus } from './bus-types.ts';
import { createStopListeners } from './stop-listeners.ts';

export interface MemoryEventBusOptions {
  /** How long a run's replay buffer is kept after its last event (default 1 h). */
  bufferTtlSeconds?: number;
  /** Most events kept per run for replay; older ones are dropped first (default 50,000). */
  maxBufferedEvents?: number;
  /** How long a stop flag stays set (default 600 s, as in the reference). */
  stopTtlSeconds?: number;
  /**
   * Keep consecutive `token`/`thinking` events of a run as one replay entry holding the text so far (issue 38), rather
   * than a message per model token for the buffer's whole TTL: a long answer was thousands of objects per run, kept
   * for an hour, in the engine's heap. A replay from inside such a stretch (Last-Event-ID) gets the rest of its text
   * in one message (index = the stretch's last, `firstIndex` = the first one the subscriber had not seen), so the
   * answer it shows is still complete. Off by default (the port's conformance suite replays message by message);
   * the engine's bus turns it on (create-event-bus.ts).
   */
  coalesceText?: boolean;
  logger?: BusLogger;
}

/** Consecutive text events of one kind, kept as their joined text and where each event's text ended in it. */
interface TextStretch {
  firstIndex: number;
  index: number;
  event: string;
  /** the last event's payload (its text replaced by the stretch's on replay) */
  data: Record<string, unknown>;
  text: string;
  /** `ends[i]`: the length of `text` after event firstIndex + i */
  ends: number[];
}

type BufferEntry = BusMessage | TextStretch;
const isStretch = (entry: BufferEntry): entry is TextStretch => 'ends' in entry;
const textEvents = new Set(['token', 'thinking']);

/** What a subscriber that has seen up to `afterIndex` is replayed of `entry` (undefined: nothing). */
function replayOf(entry: BufferEntry, afterIndex: number): BusMessage | undefined {
  if (entry.index <= afterIndex) return undefined;
  if (!isStretch(entry)) return entry;
  const seen = afterIndex >= entry.firstIndex ? afterIndex - entry.firstIndex + 1 : 0;
  const from = seen > 0 ? entry.ends[seen - 1]! : 0;
  return { index: entry.index, firstIndex: entry.firstIndex + seen, event: entry.event, data: { ...entry.data, text: entry.text.slice(from) } };
}

interface RunChannel {
  lastIndex: number;
  buffer: BufferEntry[];
  subscribers: Set<(message: BusMessage) => void>;
  expiry?: NodeJS.Timeout;
}

export function createMemoryEventBus(options: MemoryEventBusOptions = {}): ReadyEventBus {
  const bufferTtlMs = (options.bufferTtlSeconds ?? 3600) * 1000;
  const maxBufferedEvents = options.maxBufferedEvents ?? 50_000;
  const stopTtlMs = (options.stopTtlSeconds ?? 600) * 1000;
  const coalesceText = options.coalesceText ?? false;
  const runs = new Map<string, RunChannel>();
  const stopFlags = new Map<string, number>();
  const stopListeners = createStopListeners(options.logger);
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new Error('The event bus is closed.');
  }

  function channelFor(runId: string): RunChannel {
    let run = runs.get(runId);
    if (!run) {
      run = { lastIndex: 0, buffer: [], subscribers: new Set() };
      runs.set(runId, run);
    }
    return run;
  }

  // Why a timer per run rather than a sweep: refresh() is O(1), and an idle run disappears on its own.
  // unref() so a forgotten buffer never keeps the process alive.
  function touch(runId: string, run: RunChannel): void {
    if (run.expiry) {
      run.expiry.refresh();
      return;
    }
    run.expiry = setTimeout(() => {
      if (run.subscribers.size === 0) runs.delete(runId);
      else run.expiry = undefined;
    }, bufferTtlMs);
    run.expiry.unref();
  }

  function keep(run: RunChannel, message: BusMessage): void {
    const text = message.data['text'];
    if (!coalesceText || !textEvents.has(message.event) || typeof text !== 'string') {
      run.buffer.push(message);
      return;
    }
    const last = run.buffer.at(-1);
    if (last && isStretch(last) && last.event === message.event && last.index === message.index - 1) {
      last.text += text;
      last.ends.push(last.text.length);
      last.index = message.index;
      last.data = message.data;
      return;
    }
    run.buffer.push({ firstIndex: message.index, index: message.index, event: message.event, data: message.data, text, ends: [text.length] });
  }

  function deliver(handler: (message: BusMessage) => void, message: BusMessage): void {
    try {
      handler(message);
    } catch (error) {
      // A failing subscriber must not break the publisher or the other subscribers.
      options.logger?.warn({ err: error }, 'event bus subscriber threw');
    }
  }

  const bus: ReadyEventBus = {
    async ready() {},

    async publish(runId, event, data) {
      assertOpen();
      const run = channelFor(runId);
      const message: BusMessage = { index: ++run.lastIndex, event, data };
      keep(run, message);
      if (run.buffer.length > maxBufferedEvents) run.buffer.splice(0, run.buffer.length - maxBufferedEvents);
      touch(runId, run);
      // A copy only when several listen (one SSE stream per run is the usual case, and this runs per token).
      if (run.subscribers.size === 1) for (const subscriber of run.subscribers) deliver(subscriber, message);
      else for (const subscriber of [...run.subscribers]) deliver(subscriber, message);
      return message;
    },

    async subscribe(runId, onMessage, subscribeOptions = {}) {
      assertOpen();
      const run = channelFor(runId);
      const afterIndex = subscribeOptions.afterIndex ?? 0;
      // Single-threaded: replaying the buffer and joining the live set happen in one tick, so no
      // publish can fall between them.
      for (const entry of run.buffer) {
        const message = replayOf(entry, afterIndex);
        if (message) deliver(onMessage, message);
      }
      const subscriber = (message: BusMessage) => {
        if (message.index > afterIndex) onMessage(message);
      };
      run.subscribers.add(subscriber);
      touch(runId, run);
      return async () => {
        run.subscribers.delete(subscriber);
        // The expiry may have passed while this subscriber kept the run alive; start it again.
        if (run.subscribers.size === 0 && !run.expiry && !closed) touch(runId, run);
      };
    },

    async requestStop(runId) {
      assertOpen();
      stopFlags.set(runId, Date.now() + stopTtlMs);
      stopListeners.notify(runId);
    },

    async isStopRequested(runId) {
      const expiresAt = stopFlags.get(runId);
      if (expiresAt === undefined) return false;
      if (expiresAt <= Date.now()) {
        stopFlags.delete(runId);
        return false;
      }
      return true;
    },

    async onStop(runId, callback) {
      assertOpen();
      const { fire, remove } = stopListeners.add(runId, callback);
      if (await bus.isStopRequested(runId)) fire();
      return async () => remove();
    },

    health: () => (closed ? { status: 'error', detail: 'the event bus is closed' } : { status: 'ok' }),

    async close() {
      closed = true;
      for (const run of runs.values()) {
        if (run.expiry) clearTimeout(run.expiry);
        run.subscribers.clear();
      }
      runs.clear();
      stopListeners.clear();
      stopFlags.clear();
    },
  };
  return bus;
}
