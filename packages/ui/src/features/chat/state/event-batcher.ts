/**
 * Applies a run's events to the timeline in batches: structural events (a call starting, an approval, the end) at
 * once, token and thinking deltas at most once per animation frame and about 20 times a second, so a fast stream
 * does not re-render per token.
 */
import type { AgentEvent } from '@skyflo/protocol';

const MIN_RENDER_INTERVAL_MS = 50;

const nextFrame = (callback: () => void) => (typeof requestAnimationFrame === 'function' ? requestAnimationFrame(callback) : setTimeout(callback, 16));

export interface EventBatcher {
  /** queues an event (with its SSE id); applied at once unless it is a text delta */
  push(event: AgentEvent, id?: number): void;
  /** applies everything queued now (before reading the timeline, or when the stream ends) */
  flush(): void;
  /** drops what is queued (the user opened another conversation) */
  discard(): void;
}

/** `apply` receives the queued events in order, once per batch. */
export function createEventBatcher(apply: (batch: ReadonlyArray<{ event: AgentEvent; id?: number }>) => void): EventBatcher {
  let buffered: Array<{ event: AgentEvent; id?: number }> = [];
  let frameScheduled = false;
  let lastFlush = 0;

  const flush = () => {
    frameScheduled = false;
    lastFlush = Date.now();
    if (buffered.length === 0) return;
    const batch = buffered;
    buffered = [];
    apply(batch);
  };

  return {
    flush,
    discard() {
      buffered = [];
    },
    push(event, id) {
      buffered.push({ event, id });
      // Structural events are applied at once; only token/thinking deltas wait for the frame.
      if (event.type !== 'token' && event.type !== 'thinking') return flush();
      if (frameScheduled) return;
      frameScheduled = true;
      // At most one render per animation frame, and no more than ~20 per second: text growing 20 times a second
      // reads as smooth, and each render costs the same whatever the number of tokens it adds.
      const wait = Math.max(0, lastFlush + MIN_RENDER_INTERVAL_MS - Date.now());
      if (wait === 0) nextFrame(flush);
      else setTimeout(() => nextFrame(flush), wait);
    },
  };
}
