import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const vitestBin = path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
const guardPath = path.join(repoRoot, 'scripts', 'shared-worker-guard.ts');

/**
 * Two files run one after the other in ONE worker process with one module graph, as the integration project runs its
 * files (isolate: false): the first changes the process the way suites do (an environment variable, the working
 * directory, a stubbed fetch), the second says what it finds. Runs the real vitest, with or without the guard.
 */
function runTwoFilesInOneWorker(withGuard: boolean): Promise<{ code: number; output: string; root: string }> {
  const root = mkdtempSync(path.join(tmpdir(), 'shared-worker-guard-'));
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'shared-worker-guard-cwd-'));
  writeFileSync(
    path.join(root, 'a-changes.check.mjs'),
    `it('changes the process', () => {
       process.env.SKYFLO_GUARD_PROBE = 'left by the first file';
       process.env.HOME = ${JSON.stringify(elsewhere)};
       process.chdir(${JSON.stringify(elsewhere)});
       vi.stubGlobal('fetch', () => 'stubbed');
       globalThis.__sameWorker = process.pid;
     });\n`,
  );
  writeFileSync(
    path.join(root, 'b-finds.check.mjs'),
    `it('finds the process as the worker started', () => {
       expect(globalThis.__sameWorker, 'both files ran in one process').toBe(process.pid);
       expect(process.env.SKYFLO_GUARD_PROBE).toBeUndefined();
       expect(process.env.HOME).toBe(${JSON.stringify(process.env['HOME'])});
       expect(process.cwd()).toBe(${JSON.stringify(repoRoot.replace(/\/$/, ''))});
       expect(String(fetch)).not.toContain('stubbed');
     });\n`,
  );
  // files in name order; globals, since `import 'vitest'` does not resolve in a folder outside the repo
  const sequencer = `class { async shard(files) { return files } async sort(files) { return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId)) } }`;
  writeFileSync(
    path.join(root, 'vitest.config.mjs'),
    `export default { test: { root: ${JSON.stringify(root)}, include: ['*.check.mjs'], globals: true, pool: 'forks', maxWorkers: 1, isolate: false, ` +
      `setupFiles: ${JSON.stringify(withGuard ? [guardPath] : [])}, sequence: { sequencer: ${sequencer} } } };\n`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1' };
  for (const key of ['SKYFLO_TEST_RUN', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID', 'NODE_OPTIONS']) delete env[key];
  return new Promise((resolve) => {
    execFile(process.execPath, [vitestBin, 'run', '--config', path.join(root, 'vitest.config.mjs')], { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      rmSync(elsewhere, { recursive: true, force: true });
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}`, root });
    });
  });
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
