import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Emits tokens on a fixed schedule measured from the first token, so a rate like 500 tokens/s stays accurate even though
 * timers only have millisecond resolution: tokens that are due are sent back to back without waiting.
 * Waits take the request's AbortSignal, so an aborted or closed request leaves no timer behind. While `held` returns a
 * promise, the next token waits for it.
 */
export function createPacer(tokenDelayMs: number, signal: AbortSignal, held?: () => Promise<void> | undefined) {
  let startedAt: number | undefined;
  let emitted = 0;
  return {
    async next(): Promise<void> {
      if (signal.aborted) throw signal.reason;
      // held (LlmSim.holdStreams): no token until released; the schedule resumes where it paused, without a burst
      const hold = held?.();
      if (hold) {
        const pausedAt = performance.now();
        await untilAborted(hold, signal);
        if (startedAt !== undefined) startedAt += performance.now() - pausedAt;
      }
      if (startedAt === undefined) startedAt = performance.now();
      const dueAt = startedAt + emitted * tokenDelayMs;
      emitted += 1;
      const wait = dueAt - performance.now();
      if (tokenDelayMs > 0 && wait >= 1) await sleep(wait, undefined, { signal });
    },
  };
}

/** `promise`, or the signal's reason once it aborts first; leaves no listener behind either way. */
async function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([promise, new Promise<never>((_, reject) => signal.addEventListener('abort', (onAbort = () => reject(signal.reason)), { once: true }))]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export async function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason;
  if (ms > 0) await sleep(ms, undefined, { signal });
}
