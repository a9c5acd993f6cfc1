/**
 * Issue 38's CPU-per-stream comparison: each target (raw relay, streamText relay, engine) streams `streams`
 * concurrent streams of `shortTokens` and then of `tokens` tokens, one phase at a time, with the engine process's CPU
 * counters read before and after each phase. Per target: CPU per stream at each length, the per-token cost (the
 * difference over the extra tokens) and the per-run-start cost (the short stream minus its tokens), the main thread's
 * share and GC; then the last target's ratio to each of the others. A phase in which any stream did not complete with
 * exactly its token count is a failure: no figure is printed for it. With `rounds`, the whole comparison runs that many
 * times and the median of each figure follows, with its range. With `warmUpStreams`, each target first serves that many
 * short streams, so the rounds measure code V8 has finished optimising (see the option).
 */
import { median } from './statistics.ts';

export interface CpuSample {
  /** all threads of the process */
  cpuMs: number;
  /** the main thread's CPU time */
  mainMs: number;
  /** the storage's own threads (PGlite's worker; 0 for Postgres) */
  storageMs: number;
  /** GC pause time */
  gcMs: number;
  /** the main thread's event-loop time so far, busy and idle (perf_hooks eventLoopUtilization), ms */
  loopActive?: number;
  loopIdle?: number;
}

export interface StreamOutcome {
  ok: boolean;
  arrivals: number[];
  /** the model tokens the stream carried (its last tokens_generated) */
  generated?: number | undefined;
  problem?: string;
}

export interface CpuTarget {
  name: string;
  /** the CPU of the process serving this target, when it is not the comparison's `cpu` (each in its own process) */
  cpu?: () => Promise<CpuSample>;
  /** one stream; `index` is unique within a phase (the engine uses it to pick a user) */
  stream(index: number, short: boolean): Promise<StreamOutcome>;
}

interface PhaseCost {
  /** per stream, ms */
  all: number;
  main: number;
  storage: number;
  gc: number;
}

const staggered = <T>(count: number, start: (index: number) => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, index) => new Promise<T>((resolve, reject) => setTimeout(() => start(index).then(resolve, reject), index))));

export interface CpuComparisonOptions {
  label: string;
  cpu: () => Promise<CpuSample>;
  targets: CpuTarget[];
  streams: number;
  tokens: number;
  shortTokens: number;
  load: () => string;
  /** how long a `tokens`-token stream lasts (s): with it, the streams per process its main thread's CPU allows */
  streamSeconds?: number;
  /**
   * Rounds of all targets, one after another (default 1). With more than one, the median of each figure over the
   * rounds is printed after them: on a shared machine one round's ratio moves by ±20%, the median of five much less.
   */
  rounds?: number;
  /**
   * Short streams each target serves, `streams` at a time, before the first round (default 0). Why: until V8 has
   * optimised a target's code, its optimising compiler's background threads and the unoptimised code itself are part
   * of every stream's CPU, and the engine has far more code than a relay. 1,500 two-token chats through an engine in
   * one process (client included), ten at a time, cost 47 ms of CPU each in the first hundred, 28 around 400 and
   * 18–23 from 1,000 on; with V8's concurrent recompilation turned off, the background threads' CPU moved to the main
   * thread, so it was the compiler's. A phase of 20 streams after one warm-up stream measured those first hundreds.
   * The warm-up's own CPU per stream is printed by block, so the curve it leaves out is in the output.
   */
  warmUpStreams?: number;
}

export async function compareCpu(options: CpuComparisonOptions): Promise<string[]> {
  const rounds = options.rounds ?? 1;
  const failures: string[] = [];
  const perRound: RoundFigures[] = [];
  if (options.warmUpStreams) {
    const warmUpFailures = await warmUp({ ...options, warmUpStreams: options.warmUpStreams }, options.targets);
    if (warmUpFailures.length > 0) return warmUpFailures;
  }
  for (let round = 1; round <= rounds; round += 1) {
    const label = rounds > 1 ? `${options.label}, round ${round} of ${rounds}` : options.label;
    const figures = await compareOnce({ ...options, label }, failures);
    if (figures) perRound.push(figures);
  }
  if (rounds > 1 && perRound.length === rounds) printMedians(options, perRound);
  return failures;
}

/** What a warm-up needs of the comparison's options; the replica curve warms each engine process with it too. */
export type WarmUpOptions = Pick<CpuComparisonOptions, 'label' | 'cpu' | 'streams' | 'shortTokens' | 'load'> & { warmUpStreams: number };

const warmUpBlock = (options: WarmUpOptions) => Math.max(options.streams, Math.ceil(options.warmUpStreams / 5));

/** Why streams did not complete with `expected` tokens, each reason once. */
const reasonsOf = (bad: StreamOutcome[], expected: number) => [...new Set(bad.map((result) => result.problem ?? `${result.generated ?? 0} of ${expected} tokens`))].join('; ');

/** Runs `count` short streams of `target`, `concurrency` at a time; returns those that did not complete with `expected` tokens. */
async function pooledShort(target: CpuTarget, count: number, concurrency: number, expected: number): Promise<StreamOutcome[]> {
  let next = 0;
  const bad: StreamOutcome[] = [];
  const worker = async () => {
    while (next < count) {
      const result = await target.stream(next++, true);
      if (!(result.ok && result.generated === expected)) bad.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return bad;
}

/**
 * `warmUpStreams` short streams of each target in turn (`cpu` must be the CPU of the process serving them), printed
 * as CPU per stream (all threads, main thread) by block; returns the failures (a stream that did not complete).
 */
export async function warmUp(options: WarmUpOptions, targets: CpuTarget[]): Promise<string[]> {
  const total = options.warmUpStreams;
  const block = warmUpBlock(options);
  console.log(`  ${options.label}: warm-up, ${total} ${options.shortTokens}-token streams per target, ${options.streams} at a time; CPU per stream by block of ${block}; ${options.load()}`);
  for (const target of targets) {
    const all: string[] = [];
    const main: string[] = [];
    for (let done = 0; done < total; done += block) {
      const count = Math.min(block, total - done);
      const cpu = target.cpu ?? options.cpu;
      const before = await cpu();
      const bad = await pooledShort(target, count, options.streams, options.shortTokens);
      const after = await cpu();
      if (bad.length > 0) {
        console.log(`    ${target.name.padEnd(18)} warm-up FAILED (see below)`);
        return [`${options.label}, ${target.name}, warm-up: ${bad.length} of ${count} streams did not complete with ${options.shortTokens} tokens (${reasonsOf(bad, options.shortTokens)})`];
      }
      all.push(((after.cpuMs - before.cpuMs) / count).toFixed(1));
      main.push(((after.mainMs - before.mainMs) / count).toFixed(1));
    }
    console.log(`    ${target.name.padEnd(18)} warm-up ${all.join(' → ')} ms/stream (main thread ${main.join(' → ')})`);
  }
  return [];
}

/** One target's figures in one round, ms: CPU per stream of each length, per token and per run start. */
interface TargetFigures {
  long: number;
  short: number;
  perToken: number;
  perStart: number;
}
/** One round's figures, by target name. */
type RoundFigures = Map<string, TargetFigures>;

const spread = (values: number[], digits: number) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

function printMedians(options: CpuComparisonOptions, rounds: RoundFigures[]): void {
  console.log(`  ${options.label}: median of ${rounds.length} rounds (range in brackets); ${options.load()}`);
  for (const { name } of options.targets) {
    const of = (pick: (figures: TargetFigures) => number) => rounds.map((round) => pick(round.get(name)!));
    console.log(
      `    ${name.padEnd(18)} ${options.tokens}-token ${median(of((f) => f.long)).toFixed(2)} ms/stream [${spread(of((f) => f.long), 2)}], ${options.shortTokens}-token ${median(of((f) => f.short)).toFixed(2)} [${spread(of((f) => f.short), 2)}] → ` +
        `${median(of((f) => f.perToken)).toFixed(3)} ms per token [${spread(of((f) => f.perToken), 3)}], ${median(of((f) => f.perStart)).toFixed(2)} ms per start [${spread(of((f) => f.perStart), 2)}]`,
    );
  }
  // the median of each round's ratio (each round's own baseline), not the ratio of the medians
  const subject = options.targets.at(-1)!.name;
  for (const { name } of options.targets.slice(0, -1)) {
    const longs = rounds.map((round) => round.get(subject)!.long / round.get(name)!.long);
    const shorts = rounds.map((round) => round.get(subject)!.short / round.get(name)!.short);
    console.log(`    ${subject} ÷ ${name}: ${options.tokens}-token stream ×${median(longs).toFixed(2)} [${spread(longs, 2)}], ${options.shortTokens}-token stream ×${median(shorts).toFixed(2)} [${spread(shorts, 2)}]`);
  }
}

/** One round: every target's two phases; prints them and returns the figures, or undefined when a phase failed. */
async function compareOnce(options: CpuComparisonOptions, failures: string[]): Promise<RoundFigures | undefined> {
  const { targets, streams, tokens, shortTokens } = options;
  const costs = new Map<string, { short: PhaseCost; long: PhaseCost }>();
  const figures: RoundFigures = new Map();
  console.log(`  ${options.label}: CPU per stream, ${streams} concurrent streams per phase, ${shortTokens} and ${tokens} tokens; ${options.load()}`);
  for (const target of targets) {
    const cpu = target.cpu ?? options.cpu;
    const phase = async (short: boolean): Promise<PhaseCost | undefined> => {
      const expected = short ? shortTokens : tokens;
      // one stream first, so a first-use cost (connections, lazy imports) is not counted as the phase's
      const warm = await target.stream(streams, short);
      const before = await cpu();
      const results = [warm, ...(await staggered(streams, (index) => target.stream(index, short)))];
      const after = await cpu();
      const bad = results.filter((result) => !(result.ok && result.generated === expected));
      if (bad.length > 0) {
        failures.push(`${options.label}, ${target.name}, ${expected}-token phase: ${bad.length} of ${results.length} streams did not complete with ${expected} tokens (${reasonsOf(bad, expected)})`);
        return undefined;
      }
      return { all: (after.cpuMs - before.cpuMs) / streams, main: (after.mainMs - before.mainMs) / streams, storage: (after.storageMs - before.storageMs) / streams, gc: (after.gcMs - before.gcMs) / streams };
    };
    const short = await phase(true);
    const long = await phase(false);
    if (!short || !long) {
      console.log(`    ${target.name.padEnd(18)} FAILED (see below)`);
      continue;
    }
    costs.set(target.name, { short, long });
    const perToken = (long.all - short.all) / (tokens - shortTokens);
    const perStart = short.all - shortTokens * perToken;
    figures.set(target.name, { long: long.all, short: short.all, perToken, perStart });
    console.log(
      `    ${target.name.padEnd(18)} ${tokens}-token ${long.all.toFixed(2)} ms/stream (CPU: main thread ${long.main.toFixed(2)}, other threads ${(long.all - long.main).toFixed(2)}${Number.isNaN(long.gc) ? '' : `; GC pauses, wall time, ${long.gc.toFixed(2)}`}); ` +
        `${shortTokens}-token ${short.all.toFixed(2)} ms/stream (main ${short.main.toFixed(2)}) → ${perToken.toFixed(3)} ms per token, ${perStart.toFixed(2)} ms per start`,
    );
  }
  // The main thread is the limit of one process: at steady arrivals of these streams, it is 80% busy with
  // 0.8 s ÷ (its CPU ms per stream-second) streams live. A projection from CPU alone (no scheduling, no latency goal),
  // which a loaded shared machine cannot distort the way it distorts the measured capacity search.
  if (options.streamSeconds) {
    const projected = [...costs].map(([name, cost]) => `${name} ${Math.floor((0.8 * 1000 * options.streamSeconds!) / cost.long.main)}`);
    if (projected.length) console.log(`    streams per process until the main thread is 80% busy, from its CPU per stream: ${projected.join(', ')}`);
  }
  const subject = targets.at(-1)!.name;
  const measured = costs.get(subject);
  if (measured) {
    for (const [name, cost] of costs) {
      if (name === subject) continue;
      console.log(`    ${subject} ÷ ${name}: ${tokens}-token stream ×${(measured.long.all / cost.long.all).toFixed(2)}, ${shortTokens}-token stream ×${(measured.short.all / cost.short.all).toFixed(2)}`);
    }
  }
  return costs.size === targets.length ? figures : undefined;
}
