/**
 * A bench's command line: whole-number counts by position, each with its default, and on/off flags. Anything else
 * stops the bench with its usage line before it measures: a flag read as a count once ran a bench on "NaN approvals"
 * and failed minutes later with "0 tool executions for NaN approvals". Parsed by node:util's parseArgs (strict).
 */
import { parseArgs } from 'node:util';
import { failBench } from './bench-header.ts';

export interface BenchCount {
  name: string;
  fallback: number;
}

/** one number per count asked for, in its order (so a caller destructures them without restating the defaults) */
export interface BenchArguments<Counts extends readonly BenchCount[], Flag extends string> {
  counts: { -readonly [Index in keyof Counts]: number };
  flags: Record<Flag, boolean>;
}

/** This process's command line, or the bench stops with what was wrong and its usage (exit 1, no stack trace). */
export function benchArguments<const Counts extends readonly BenchCount[], const Flag extends string = never>(usage: string, counts: Counts, flags: readonly Flag[] = []): BenchArguments<Counts, Flag> {
  try {
    return parseBenchArguments(usage, counts, flags, process.argv.slice(2));
  } catch (error) {
    return failBench((error as Error).message);
  }
}

/** Throws with what was wrong and the usage line. */
export function parseBenchArguments<const Counts extends readonly BenchCount[], const Flag extends string = never>(
  usage: string,
  counts: Counts,
  flags: readonly Flag[],
  argv: string[],
): BenchArguments<Counts, Flag> {
  const fail = (problem: string): never => {
    throw new Error(`${problem}\n  usage: ${usage}`);
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: Object.fromEntries(flags.map((flag) => [flag.replace(/^--/, ''), { type: 'boolean' as const }])) });
  } catch (error) {
    return fail((error as Error).message);
  }
  if (parsed.positionals.length > counts.length) fail(`too many arguments: ${parsed.positionals.slice(counts.length).join(' ')}`);
  const values = counts.map(({ name, fallback }, index) => {
    const given = parsed.positionals[index];
    if (given === undefined) return fallback;
    if (!/^[1-9]\d*$/.test(given)) fail(`${name} must be a whole number above 0, not "${given}"`);
    return Number(given);
  });
  const flagValues = Object.fromEntries(flags.map((flag) => [flag, parsed.values[flag.replace(/^--/, '')] === true])) as Record<Flag, boolean>;
  return { counts: values as BenchArguments<Counts, Flag>['counts'], flags: flagValues };
}
