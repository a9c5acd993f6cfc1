import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runVitestOnFixture } from './support/run-vitest.ts';

const guardPath = path.join(repoRoot, 'scripts', 'shared-worker-guard.ts');

/**
 * Two files run one after the other in ONE worker process with one module graph, as the integration project runs its
 * files (isolate: false): the first changes the process the way suites do (an environment variable, the working
 * directory, a stubbed fetch), the second says what it finds. Runs the real vitest, with or without the guard.
 */
async function runTwoFilesInOneWorker(withGuard: boolean): Promise<{ code: number; output: string; root: string }> {
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'shared-worker-guard-cwd-'));
  const files = {
    'a-changes.check.mjs': `it('changes the process', () => {
       process.env.SKYFLO_GUARD_PROBE = 'left by the first file';
       process.env.HOME = ${JSON.stringify(elsewhere)};
       process.chdir(${JSON.stringify(elsewhere)});
       vi.stubGlobal('fetch', () => 'stubbed');
       globalThis.__sameWorker = process.pid;
     });\n`,
    'b-finds.check.mjs': `it('finds the process as the worker started', () => {
       expect(globalThis.__sameWorker, 'both files ran in one process').toBe(process.pid);
       expect(process.env.SKYFLO_GUARD_PROBE).toBeUndefined();
       expect(process.env.HOME).toBe(${JSON.stringify(process.env['HOME'])});
       expect(process.cwd()).toBe(${JSON.stringify(repoRoot.replace(/\/$/, ''))});
       expect(String(fetch)).not.toContain('stubbed');
     });\n`,
  };
  // files in name order
  const sequencer = `class { async shard(files) { return files } async sort(files) { return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId)) } }`;
  const run = await runVitestOnFixture('shared-worker-guard-', files, `include: ['*.check.mjs'], maxWorkers: 1, isolate: false, setupFiles: ${JSON.stringify(withGuard ? [guardPath] : [])}, sequence: { sequencer: ${sequencer} }`);
  rmSync(elsewhere, { recursive: true, force: true });
  return { code: run.code, output: `${run.stdout}\n${run.stderr}`, root: run.root };
}

describe('files that share a worker (the integration project)', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('without the guard, what one file changes in the process reaches the next', async () => {
    const run = await runTwoFilesInOneWorker(false);
    roots.push(run.root);
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toContain('left by the first file');
  }, 180_000);

  it('with the guard, the next file finds the environment, the working directory and fetch as the worker started', async () => {
    const run = await runTwoFilesInOneWorker(true);
    roots.push(run.root);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/2 passed/);
  }, 180_000);
});
