/**
 * Gives the young generation's memory back once the engine goes quiet (issue 38 goal 6, idle RSS ≤ 250 MiB).
 * Start-up (module compilation, migrations, the agent and MCP catalogue loaded after listen) and any burst of runs
 * grow V8's young generation to its maximum (~30 MiB committed), and V8 keeps it committed while the process sits
 * idle: nothing allocates, so no collection runs that would shrink it. One full collection while the allocation
 * rate is low shrinks it to ~1 MiB (measured on the compiled `skyflo serve`: 262 → 233 MiB idle RSS).
 *
 * Quiet means: no HTTP request began and no run event was published during `quietTicks` whole ticks (default two of
 * 5 s). Then, while the young generation is larger than `youngGenerationLimitBytes`, one full collection per tick
 * (40-60 ms on the main thread, paid when nobody is waiting on it), at most `attempts` of them: V8 shrinks the young
 * generation in a collection only once its measured allocation rate over the last ~5 s is low, and it measures that
 * rate at collections, so the first collection after a busy period often leaves it as it was (measured: collected
 * 10, 15 and 20 s after start-up, it went from 31 MiB to 1 MiB at the first, second or third). A new round of
 * attempts starts at most once per `minGapMs`. Under load it never runs; a request every few seconds (a health
 * probe, a page's refresh) does not make it run again and again: such traffic does not grow the young generation
 * past the limit.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleHeapTrimDeps {
  /** bytes the young generation holds now (committed, not used) */
  youngGenerationBytes?: () => number;
  /** one full collection */
  collect?: () => void;
  /** the length of a tick (default 5 s) */
  tickMs?: number;
  /** how many whole ticks without activity make the process quiet (default 2) */
  quietTicks?: number;
  youngGenerationLimitBytes?: number;
  /** collections tried in one quiet period while the young generation stays above the limit (default 3) */
  attempts?: number;
  /** the least time between the starts of two rounds of attempts (default 60 s) */
  minGapMs?: number;
  now?: () => number;
  logger?: { debug(object: Record<string, unknown>, message: string): void };
}

export interface IdleHeapTrim {
  /** something happened that allocates (a request began, a run published an event) */
  noteActivity(): void;
  /** starts ticking (an unref'd timer: it never keeps the process alive) */
  start(): void;
  stop(): void;
}

const MiB = 1024 * 1024;

/** The committed size of V8's young generation (`new_space`, the semi-spaces scavenges copy between). */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0;
}

/**
 * V8's full collection. Node offers it only with `--expose-gc`; the flag is turned on for the one context that
 * fetches the function and off again, so no other code (or model-written text evaluated anywhere) sees a `gc`.
 */
export function fullCollection(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

export function createIdleHeapTrim(deps: IdleHeapTrimDeps = {}): IdleHeapTrim {
  const tickMs = deps.tickMs ?? 5_000;
  const quietTicks = deps.quietTicks ?? 2;
  const limit = deps.youngGenerationLimitBytes ?? 8 * MiB;
  const attempts = deps.attempts ?? 3;
  const minGapMs = deps.minGapMs ?? 60_000;
  const now = deps.now ?? Date.now;
  const measure = deps.youngGenerationBytes ?? youngGenerationBytes;
  let collect = deps.collect;
  // start-up itself is the first activity: the process is quiet `quietTicks` ticks after it
  let activeSinceLastTick = true;
  let quietFor = 0;
  let roundStartedAt = Number.NEGATIVE_INFINITY;
  let attemptsLeft = 0;
  let timer: NodeJS.Timeout | undefined;

  function tick(): void {
    quietFor = activeSinceLastTick ? 0 : quietFor + 1;
    activeSinceLastTick = false;
    if (quietFor === 0) attemptsLeft = 0;
    if (quietFor < quietTicks) return;
    const before = measure();
    if (before <= limit) {
      attemptsLeft = 0;
      return;
    }
    if (attemptsLeft === 0) {
      if (now() - roundStartedAt < minGapMs) return;
      roundStartedAt = now();
      attemptsLeft = attempts;
    }
    attemptsLeft -= 1;
    collect ??= fullCollection();
    const started = performance.now();
    collect();
    deps.logger?.debug({ youngGenerationMiB: Math.round(before / MiB), afterMiB: Math.round(measure() / MiB), pauseMs: Math.round(performance.now() - started) }, 'idle: collected the heap to give the young generation back');
  }

  return {
    noteActivity() {
      activeSinceLastTick = true;
    },
    start() {
      if (timer) return;
      timer = setInterval(tick, tickMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
