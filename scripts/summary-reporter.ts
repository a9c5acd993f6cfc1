import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Reporter, SerializedError, TestModule, TestSuite } from 'vitest/node';

/**
 * Prints, after vitest's own summary, the ten slowest test files and then the plain `N passed, N failed` closing line
 * that CI reads (it must stay the last line).
 *
 * A run must never look green when it is not. Besides failed tests, `failed` counts every suite or file that failed
 * outside a test (a beforeAll/afterAll hook that threw or timed out, a file that did not load) and every unhandled
 * error; the line then says which kinds: `tests: 4 passed, 1 failed, 0 skipped (1 failed suite)`. Such a failure
 * leaves every test of the file "passed", so counting tests alone read `4 passed, 0 failed`.
 *
 * `npm test` runs vitest twice (vitest.config.ts for the suites, then vitest.image.config.ts for the container image
 * build alone, so that build never competes with the suites for the two cores). So that the last line is the total of
 * the whole run, each phase adds what the earlier phases counted: with SKYFLO_TEST_RUN set (to the npm script's shell
 * pid, one value per `npm test`), the totals and file durations so far are kept in a file in the temp dir; the first
 * phase starts it afresh, a later phase adds to it. Without SKYFLO_TEST_RUN (a developer running vitest directly)
 * each run prints only its own figures.
 */
export interface SummaryReporterOptions {
  /** true for the first vitest invocation of `npm test`: earlier totals with the same run id are stale, not added */
  firstPhase?: boolean;
}

interface RunTotals {
  passed: number;
  /** failed tests */
  failed: number;
  skipped: number;
  /** suites and files that failed outside their tests (hooks, loading) */
  failedSuites: number;
  /** errors vitest caught outside any test or suite */
  unhandledErrors: number;
  /** `file > suite: first error` of each failed suite, shown above the closing line */
  failedSuiteNames: string[];
  /** test file (relative to the repo) → milliseconds from environment set-up to its last hook */
  files: Record<string, number>;
  /** test file → CPU ms it cost, its process and its ended children (only files run with scripts/file-cpu-meter.ts) */
  cpu: Record<string, number>;
}

const SLOWEST_SHOWN = 10;

function totalsFile(): string | undefined {
  const runId = process.env['SKYFLO_TEST_RUN'];
  return runId && /^[\w-]+$/.test(runId) ? path.join(tmpdir(), `skyflo-test-run-${runId}.json`) : undefined;
}

function readEarlierPhases(file: string | undefined, firstPhase: boolean): RunTotals {
  const empty: RunTotals = { passed: 0, failed: 0, skipped: 0, failedSuites: 0, unhandledErrors: 0, failedSuiteNames: [], files: {}, cpu: {} };
  if (!file || firstPhase || !existsSync(file)) return empty;
  try {
    return { ...empty, ...(JSON.parse(readFileSync(file, 'utf8')) as Partial<RunTotals>) };
  } catch {
    return empty; // a torn file from an interrupted run: this phase's own figures are still right
  }
}

/** Whole time a file took in its worker: environment, harness, import and collection, then its tests and hooks. */
function fileDuration(module: TestModule): number {
  const diagnostic = module.diagnostic();
  return diagnostic.environmentSetupDuration + diagnostic.prepareDuration + diagnostic.collectDuration + diagnostic.setupDuration + diagnostic.duration;
}

/** The module itself and every suite in it whose own errors (hooks, loading) failed it, whatever its tests did. */
function failedSuites(module: TestModule): Array<{ name: string; error: string }> {
  const failed: Array<{ name: string; error: string }> = [];
  const suites: Array<TestModule | TestSuite> = [module, ...module.children.allSuites()];
  for (const suite of suites) {
    const errors = suite.errors();
    if (errors.length === 0) continue;
    const name = suite.type === 'module' ? module.relativeModuleId : `${module.relativeModuleId} > ${suite.fullName}`;
    failed.push({ name, error: firstLine(errors[0]) });
  }
  // a file that failed without any error of its own or of a test (vitest kept no detail): still a failure
  if (failed.length === 0 && module.state() === 'failed' && ![...module.children.allTests()].some((test) => test.result().state === 'failed')) {
    failed.push({ name: module.relativeModuleId, error: 'failed outside its tests' });
  }
  return failed;
}

/** the SLOWEST_SHOWN files with the largest figures (ms), largest first */
function largest(byFile: Record<string, number>): Array<[string, number]> {
  return Object.entries(byFile)
    .sort(([, a], [, b]) => b - a)
    .slice(0, SLOWEST_SHOWN);
}

function fileLine([name, ms]: [string, number]): string {
  return `  ${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`;
}

function firstLine(error: SerializedError | undefined): string {
  return String(error?.message ?? error?.name ?? 'error').split('\n')[0]!.slice(0, 200);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The closing line CI reads: `failed` includes failed suites and unhandled errors, and then says so. */
export function closingLine(totals: Pick<RunTotals, 'passed' | 'failed' | 'skipped' | 'failedSuites' | 'unhandledErrors'>): string {
  const failed = totals.failed + totals.failedSuites + totals.unhandledErrors;
  const line = `tests: ${totals.passed} passed, ${failed} failed, ${totals.skipped} skipped`;
  if (totals.failedSuites === 0 && totals.unhandledErrors === 0) return line;
  const kinds = [
    ...(totals.failed > 0 ? [plural(totals.failed, 'failed test')] : []),
    ...(totals.failedSuites > 0 ? [plural(totals.failedSuites, 'failed suite')] : []),
    ...(totals.unhandledErrors > 0 ? [plural(totals.unhandledErrors, 'unhandled error')] : []),
  ];
  return `${line} (${kinds.join(', ')})`;
}

export default class SummaryReporter implements Reporter {
  private readonly firstPhase: boolean;

  constructor(options: SummaryReporterOptions = {}) {
    this.firstPhase = options.firstPhase ?? false;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    const file = totalsFile();
    const totals = readEarlierPhases(file, this.firstPhase);
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') totals.passed += 1;
        else if (state === 'failed') totals.failed += 1;
        else totals.skipped += 1;
      }
      // a hook that threw or timed out, or a file that failed to load: its tests may all read "passed"
      for (const suite of failedSuites(module)) {
        totals.failedSuites += 1;
        totals.failedSuiteNames.push(`${suite.name}: ${suite.error}`);
      }
      totals.files[module.relativeModuleId] = fileDuration(module);
      const cpuMs = module.meta().cpuMs;
      if (typeof cpuMs === 'number') totals.cpu[module.relativeModuleId] = cpuMs;
    }
    totals.unhandledErrors += unhandledErrors.length;
    // the first phase hands its figures on; the last one has added them, and nothing comes after it
    if (file && this.firstPhase) writeFileSync(file, JSON.stringify(totals));
    else if (file) rmSync(file, { force: true });

    const slowest = largest(totals.files);
    const lines = [`\nslowest ${slowest.length} of ${Object.keys(totals.files).length} test files (set-up, import, tests and hooks):`, ...slowest.map(fileLine)];
    const costliest = largest(totals.cpu);
    if (costliest.length > 0) {
      const allCpu = Object.values(totals.cpu).reduce((sum, ms) => sum + ms, 0);
      lines.push('', `most CPU, ${costliest.length} of ${Object.keys(totals.cpu).length} test files (${(allCpu / 1000).toFixed(0)} s in all; the file's process and the child processes it ended):`, ...costliest.map(fileLine));
    }
    if (totals.failedSuiteNames.length > 0) {
      lines.push('', `failed outside a test (hooks, loading):`);
      for (const name of totals.failedSuiteNames) lines.push(`  ${name}`);
    }
    lines.push('', closingLine(totals));
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
