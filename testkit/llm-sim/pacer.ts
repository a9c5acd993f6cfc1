import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Emits tokens on a fixed schedule measured from the first token, so a rate like 500 tokens/s stays accurate even though
 * timers only have millisecond resolution: tokens that are due are sent back to back without waiting.
 * Waits take the request's AbortSignal, so an aborted or closed request leaves no timer behind.
 */
export function createPacer(tokenDelayMs: number, signal: AbortSignal) {
  let startedAt: number | undefined;
  let emitted = 0;
  return {
    async next(): Promise<void> {
      if (signal.aborted) throw signal.reason;
      if (startedAt === undefined) startedAt = performance.now();
      const dueAt = startedAt + emitted * tokenDelayMs;
      emitted += 1;
      const wait = dueAt - performance.now();
      if (tokenDelayMs > 0 && wait >= 1) await sleep(wait, undefined, { signal });
    },
  };
}

export async function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason;
  if (ms > 0) await sleep(ms, undefined, { signal });
}
