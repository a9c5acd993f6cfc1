import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closingLine } from '../summary-reporter.ts';
import { repoRoot, runVitestOnFixture, type VitestRun } from './support/run-vitest.ts';

const reporterPath = path.join(repoRoot, 'scripts', 'summary-reporter.ts');

/**
 * Runs the real vitest on a temp dir of test files with the summary reporter; its output and exit code. With
 * `projects`, shaped like vitest.config.ts: a `unit` project (`*.unit.check.mjs`) and an `integration` one (the rest).
 */
function runVitest(files: Record<string, string>, options: { projects?: boolean } = {}): Promise<VitestRun> {
  return runVitestOnFixture('summary-reporter-', files, `${options.projects ? projects : "include: ['*.check.mjs']"}, maxWorkers: 1, reporters: [[${JSON.stringify(reporterPath)}, { firstPhase: true }]]`);
}

const projects = `projects: [{ extends: true, test: { name: 'unit', include: ['*.unit.check.mjs'] } }, { extends: true, test: { name: 'integration', include: ['*.check.mjs'], exclude: ['*.unit.check.mjs'] } }]`;
const lastLine = (stdout: string) => stdout.trimEnd().split('\n').pop();

describe('the test summary reporter', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('counts a suite whose afterAll hook timed out as a failure, though all its tests passed', async () => {
    const run = await runVitest({
      'cleanup.check.mjs': `
        describe('cleanup', () => {
          for (const n of [1, 2, 3, 4]) it('passes ' + n, () => expect(n).toBeGreaterThan(0));
          // never settles, so the hook times out (its limit is a fixture's, not a race: it can only time out)
          afterAll(() => new Promise(() => {}), 300);
        });
      `,
      'green.check.mjs': `it('passes', () => expect(1).toBe(1));`,
    });
    roots.push(run.root);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/Hook timed out/);
    expect(run.stdout).toContain('cleanup.check.mjs > cleanup: Hook timed out');
    expect(lastLine(run.stdout)).toBe('tests: 5 passed, 1 failed, 0 skipped (1 failed suite)');
  }, 180_000);

  it('counts a file that fails to load and a top-level hook that throws', async () => {
    const run = await runVitest({
      'broken.check.mjs': `throw new Error('cannot load');\n`,
      'setup.check.mjs': `beforeAll(() => { throw new Error('no database'); });\nit('needs the database', () => expect(1).toBe(1));\n`,
    });
    roots.push(run.root);
    expect(run.code).not.toBe(0);
    expect(lastLine(run.stdout)).toMatch(/^tests: 0 passed, 2 failed, 1 skipped \(2 failed suites\)$/);
  }, 180_000);

  it('says nothing more on a green run', async () => {
    const green = await runVitest({ 'green.check.mjs': `it('passes', () => expect(1).toBe(1));\nit('also', () => expect(2).toBe(2));\n` });
    roots.push(green.root);
    expect(green.code).toBe(0);
    expect(lastLine(green.stdout)).toBe('tests: 2 passed, 0 failed, 0 skipped');
  }, 180_000);

  it('adds up both test projects (unit and integration), a failure in either included', async () => {
    const run = await runVitest(
      {
        'pure.unit.check.mjs': `it('a', () => expect(1).toBe(1));\nit('b', () => expect(2).toBe(2));\n`,
        'flow.check.mjs': `it('passes', () => expect(1).toBe(1));\nit('fails', () => expect(1).toBe(2));\n`,
      },
      { projects: true },
    );
    roots.push(run.root);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(/slowest 2 of 2 test files/);
    expect(lastLine(run.stdout)).toBe('tests: 3 passed, 1 failed, 0 skipped');
  }, 180_000);

  it('names the files that cost most CPU, counting the child processes a file ran', async () => {
    const meter = path.join(repoRoot, 'scripts', 'file-cpu-meter.ts');
    // the child spins until it has used 600 ms of CPU, however busy the machine: its CPU, not the file's wall time.
    // On a loaded host that takes seconds of wall time (6.2 s in one CI run), past vitest's default 5 s test limit:
    // the fixture's test gets a limit that only a hung child reaches.
    const spinner = `let x = 0; while (process.cpuUsage().user < 600_000) x += Math.sqrt(x + 1);`;
    const run = await runVitestOnFixture(
      'summary-reporter-cpu-',
      {
        'child.check.mjs': `import { execFileSync } from 'node:child_process';\nit('runs a busy child', () => { execFileSync(process.execPath, ['-e', ${JSON.stringify(spinner)}]); }, 120_000);\n`,
        'idle.check.mjs': `it('does nothing', () => expect(1).toBe(1));\n`,
      },
      `include: ['*.check.mjs'], maxWorkers: 1, setupFiles: [${JSON.stringify(meter)}], reporters: [[${JSON.stringify(reporterPath)}, { firstPhase: true }]]`,
    );
    roots.push(run.root);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const listed = run.stdout.slice(run.stdout.indexOf('most CPU')).split('\n').slice(0, 3);
    expect(listed[0]).toMatch(/^most CPU, 2 of 2 test files \(\d+ s in all; the file's process and the child processes it ended\):$/);
    const [childCpu, childFile] = listed[1]!.trim().split(/ s {2}/);
    expect(childFile).toBe('child.check.mjs');
    expect(Number(childCpu)).toBeGreaterThanOrEqual(0.6);
    expect(listed[2]).toMatch(/ s {2}idle\.check\.mjs$/);
  }, 180_000);

  it('words the closing line by kind, and counts every kind as failed', () => {
    expect(closingLine({ passed: 3, failed: 0, skipped: 1, failedSuites: 0, unhandledErrors: 0 })).toBe('tests: 3 passed, 0 failed, 1 skipped');
    expect(closingLine({ passed: 3, failed: 2, skipped: 0, failedSuites: 1, unhandledErrors: 1 })).toBe('tests: 3 passed, 4 failed, 0 skipped (2 failed tests, 1 failed suite, 1 unhandled error)');
  });
});
