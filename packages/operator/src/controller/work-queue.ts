/**
 * One reconcile queue: keys are deduplicated while waiting, one key is never reconciled twice at once (a single
 * worker), and a failing key is retried with exponential back-off (reset by a success). Why one worker: the
 * reconciles of a few SkyfloAIs are short, and serial processing rules out two writers racing on one object.
 */
export interface WorkQueue {
  add(key: string, delayMs?: number): void;
  /** resolves when the queue is empty and the worker is idle (for tests) */
  idle(): Promise<void>;
  stop(): void;
}

export interface WorkQueueOptions {
  process(key: string): Promise<{ requeueAfterMs?: number } | void>;
  onError?(key: string, error: unknown, retryInMs: number): void;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export function createWorkQueue(options: WorkQueueOptions): WorkQueue {
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 60_000;
  const pending: string[] = [];
  const queued = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const failures = new Map<string, number>();
  let running = false;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];

  function add(key: string, delayMs = 0): void {
    if (stopped) return;
    if (delayMs > 0) {
      if (timers.has(key)) return;
      timers.set(key, setTimeout(() => {
        timers.delete(key);
        add(key);
      }, delayMs));
      return;
    }
    if (queued.has(key)) return;
    queued.add(key);
    pending.push(key);
    void drain();
  }

  async function drain(): Promise<void> {
    if (running) return;
    running = true;
    while (pending.length > 0 && !stopped) {
      const key = pending.shift()!;
      queued.delete(key);
      try {
        const result = await options.process(key);
        failures.delete(key);
        if (result?.requeueAfterMs) add(key, result.requeueAfterMs);
      } catch (error) {
        const attempt = (failures.get(key) ?? 0) + 1;
        failures.set(key, attempt);
        const retryInMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        options.onError?.(key, error, retryInMs);
        add(key, retryInMs);
      }
    }
    running = false;
    if (pending.length === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  }

  return {
    add,
    idle: () => (running || pending.length > 0 ? new Promise<void>((resolve) => idleWaiters.push(resolve)) : Promise.resolve()),
    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      pending.length = 0;
      queued.clear();
      for (const resolve of idleWaiters.splice(0)) resolve();
      idleWaiters = [];
    },
  };
}
