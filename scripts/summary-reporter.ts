import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints, after vitest's own summary, the ten slowest test files and then the plain `N passed, N failed` closing line
 * that CI reads (it must stay the last line).
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
  failed: number;
  skipped: number;
  /** test file (relative to the repo) → milliseconds from environment set-up to its last hook */
  files: Record<string, number>;
}

const SLOWEST_SHOWN = 10;

function totalsFile(): string | undefined {
  const runId = process.env['SKYFLO_TEST_RUN'];
  return runId && /^[\w-]+$/.test(runId) ? path.join(tmpdir(), `skyflo-test-run-${runId}.json`) : undefined;
}

function readEarlierPhases(file: string | undefined, firstPhase: boolean): RunTotals {
  const empty: RunTotals = { passed: 0, failed: 0, skipped: 0, files: {} };
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

export default class SummaryReporter implements Reporter {
  private readonly firstPhase: boolean;

  constructor(options: SummaryReporterOptions = {}) {
    this.firstPhase = options.firstPhase ?? false;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const file = totalsFile();
    const totals = readEarlierPhases(file, this.firstPhase);
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') totals.passed += 1;
        else if (state === 'failed') totals.failed += 1;
        else totals.skipped += 1;
      }
      // a file that failed to load has no tests, and must still count as a failure
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) totals.failed += 1;
      totals.files[module.relativeModuleId] = fileDuration(module);
    }
    // the first phase hands its figures on; the last one has added them, and nothing comes after it
    if (file && this.firstPhase) writeFileSync(file, JSON.stringify(totals));
    else if (file) rmSync(file, { force: true });

    const slowest = Object.entries(totals.files)
      .sort(([, a], [, b]) => b - a)
      .slice(0, SLOWEST_SHOWN);
    const lines = [`\nslowest ${slowest.length} of ${Object.keys(totals.files).length} test files (set-up, import, tests and hooks):`];
    for (const [name, ms] of slowest) lines.push(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${name}`);
    lines.push('', `tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
