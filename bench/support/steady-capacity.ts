/**
 * Issue 38's "streams per process": the most concurrent streams a target sustains with every engine process's main
 * thread ≤ 80% busy and p99 added token latency < 50 ms, the streams ARRIVING AT A STEADY RATE (N concurrent streams
 * of duration D arrive at N/D per second; not N starts in one second, which measures a burst, not a load).
 * A level runs 3·D of arrivals; the first D is the ramp (concurrency climbing to N) and is not measured; over the
 * rest, the main thread's busy share is its CPU time over the wall time (/proc; perf_hooks' event-loop utilization is
 * printed beside it), for each engine process, and the
 * latency from the streams that started after the ramp. The same arrivals read straight from llm-sim give the
 * baseline lateness at that level, so "added" is the engine's. The search doubles from `start` until a level misses
 * a goal, then bisects between the last good and the first bad level.
 * A stream that does not complete with its full token count is a failure of the bench (never a figure).
 */
import { machineLoad } from './bench-header.ts';
import { percentile } from './statistics.ts';

export interface SteadyStream {
  ok: boolean;
  arrivals: number[];
  generated?: number | undefined;
  problem?: string | undefined;
}

/**
 * Cumulative event-loop time of one engine process's main thread (perf_hooks eventLoopUtilization), ms; NaN for a
 * process measured from outside (the shipped engine: /proc only), which gives `wallMs` instead.
 */
export interface LoopSample {
  active: number;
  idle: number;
  /** when the sample was taken (performance.now() of the bench): the window's wall time without the loop's figures */
  wallMs?: number;
  /** the process's CPU time so far, every thread */
  cpuMs: number;
  /** the main thread's CPU time so far (/proc) */
  mainMs: number;
}

export interface SteadyTarget {
  name: string;
  /** one stream through the target; `index` is unique within the level */
  stream(index: number): Promise<SteadyStream>;
  /** one sample per engine process behind the target */
  loops(): Promise<LoopSample[]>;
}

export interface SteadyOptions {
  tokens: number;
  intervalMs: number;
  /** the first level tried */
  start: number;
  /** never tried above this (the users the engine has, the machine's sockets) */
  max: number;
  busyGoal: number;
  addedP99GoalMs: number;
  /** llm-sim read directly at the same arrival rate: the baseline lateness */
  direct(index: number): Promise<number[]>;
}

export interface LevelOutcome {
  streams: number;
  /** the busiest engine process's main-thread share over the measured window */
  busy: number;
  /** the busiest main thread's event-loop utilization (wall-time based; see runLevel) */
  loopBusy: number;
  /** cores the target's processes used over the window, together (CPU time ÷ wall time) */
  cores: number;
  addedP99: number;
  addedP50: number;
  failures: string[];
  ok: boolean;
}

/** Lateness per token against the stream's own schedule (its best-aligned token), as engine-concurrency.ts counts it. */
export function lateness(arrivals: number[], intervalMs: number): number[] {
  const offsets = arrivals.map((at, index) => at - index * intervalMs);
  const best = Math.min(...offsets);
  return offsets.map((offset) => offset - best);
}

/** `count` starts at a steady pace of one per `gapMs`; resolves with every result in start order. */
async function steadyStarts<T>(count: number, gapMs: number, start: (index: number) => Promise<T>): Promise<Array<{ startedAt: number; result: T }>> {
  const began = performance.now();
  const pending: Array<Promise<{ startedAt: number; result: T }>> = [];
  for (let index = 0; index < count; index += 1) {
    // sleep until this start's time on the schedule (not a fixed gap after the previous one: no drift)
    const due = began + index * gapMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const startedAt = performance.now();
    pending.push(start(index).then((result) => ({ startedAt, result })));
  }
  return Promise.all(pending);
}

export async function runLevel(target: SteadyTarget, streams: number, options: SteadyOptions): Promise<LevelOutcome> {
  const streamMs = (options.tokens - 1) * options.intervalMs;
  const gapMs = streamMs / streams;
  const total = streams * 3;
  let before: LoopSample[] | undefined;
  let after: LoopSample[] | undefined;
  // the measured window: from the end of the ramp to the last arrival
  const window = setTimeout(() => void target.loops().then((sample) => (before = sample)), streamMs);
  const end = setTimeout(() => void target.loops().then((sample) => (after = sample)), 3 * streamMs);
  const results = await steadyStarts(total, gapMs, (index) => target.stream(index));
  clearTimeout(window);
  clearTimeout(end);
  after ??= await target.loops();
  before ??= after;
  // Busy = the main thread's CPU time over the window's wall time. The event loop's own utilization (active ÷ all) is
  // printed beside it but not judged: it counts time the thread was runnable but not running as active, which on a
  // machine shared with other work (load above the core count) says how busy the machine is, not the engine.
  const wallOf = (sample: LoopSample, earlier: LoopSample) =>
    sample.wallMs !== undefined && earlier.wallMs !== undefined ? sample.wallMs - earlier.wallMs : sample.active - earlier.active + sample.idle - earlier.idle;
  const shares = after.map((sample, index) => {
    const active = sample.active - before![index]!.active;
    const all = wallOf(sample, before![index]!);
    return { cpu: all > 0 ? (sample.mainMs - before![index]!.mainMs) / all : 0, loop: all > 0 ? active / all : Number.NaN };
  });
  const busy = Math.max(...shares.map((share) => share.cpu));
  const loopBusy = Math.max(...shares.map((share) => share.loop));
  const wall = wallOf(after[0]!, before[0]!);
  const cores = wall > 0 ? after.reduce((sum, sample, index) => sum + sample.cpuMs - before![index]!.cpuMs, 0) / wall : NaN;
  const failures: string[] = [];
  const incomplete = results.filter(({ result }) => !(result.ok && result.generated === options.tokens));
  if (incomplete.length > 0) {
    const reasons = [...new Set(incomplete.map(({ result }) => result.problem ?? `${result.generated ?? 0} of ${options.tokens} tokens`))].join('; ');
    failures.push(`${target.name}, ${streams} streams at a steady rate: ${incomplete.length} of ${total} streams did not complete (${reasons})`);
  }
  const measured = results.slice(streams).flatMap(({ result }) => lateness(result.arrivals, options.intervalMs));
  const direct = (await steadyStarts(total, gapMs, (index) => options.direct(index))).slice(streams).flatMap(({ result }) => lateness(result, options.intervalMs));
  const addedP99 = percentile(measured, 99) - percentile(direct, 99);
  const addedP50 = percentile(measured, 50) - percentile(direct, 50);
  const ok = failures.length === 0 && busy <= options.busyGoal && addedP99 < options.addedP99GoalMs;
  return { streams, busy, loopBusy, cores, addedP99, addedP50, failures, ok };
}

/** The largest level meeting both goals (0 when even `start` misses), every level tried, and the failures. */
export async function searchCapacity(target: SteadyTarget, options: SteadyOptions): Promise<{ capacity: number; levels: LevelOutcome[]; failures: string[] }> {
  const levels: LevelOutcome[] = [];
  const failures: string[] = [];
  const tryLevel = async (streams: number) => {
    const outcome = await runLevel(target, streams, options);
    levels.push(outcome);
    failures.push(...outcome.failures);
    console.log(
      `    ${target.name.padEnd(18)} ${String(streams).padStart(4)} streams arriving ${(streams / (((options.tokens - 1) * options.intervalMs) / 1000)).toFixed(1)}/s: ` +
        `main thread ${(outcome.busy * 100).toFixed(0)}% busy in CPU time (goal ≤ ${options.busyGoal * 100}%; event-loop utilization ${(outcome.loopBusy * 100).toFixed(0)}%), ${outcome.cores.toFixed(2)} cores, added token latency p50 ${outcome.addedP50.toFixed(1)} / p99 ${outcome.addedP99.toFixed(1)} ms (goal < ${options.addedP99GoalMs}) ` +
        `→ ${outcome.ok ? 'sustained' : outcome.failures.length ? 'FAILED: streams did not complete' : 'over'}; ${machineLoad()}`,
    );
    return outcome.ok;
  };
  let good = 0;
  let bad = 0;
  for (let streams = options.start; streams <= options.max; streams *= 2) {
    if (await tryLevel(streams)) good = streams;
    else {
      bad = streams;
      break;
    }
  }
  if (bad === 0) return { capacity: good, levels, failures };
  // two bisection steps: within a quarter of the bracket, enough on a shared machine whose figures move by more
  for (let step = 0; step < 2 && bad - good > Math.max(4, good / 8); step += 1) {
    const middle = Math.round((good + bad) / 2);
    if (await tryLevel(middle)) good = middle;
    else bad = middle;
  }
  return { capacity: good, levels, failures };
}
