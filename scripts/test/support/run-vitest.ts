import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const vitestBin = path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');

export interface VitestRun {
  code: number;
  stdout: string;
  stderr: string;
  /** the fixture folder (the caller removes it) */
  root: string;
}

/**
 * Runs the real vitest, as a process of its own, on a temp folder holding `files` and a vitest.config.mjs whose `test`
 * options are `testOptions` (JavaScript source, without braces) plus `root`, `globals` (the files live outside the
 * repo, where `import 'vitest'` does not resolve) and `pool: 'forks'`. The run's variables are removed from the
 * environment, so the inner run is not mistaken for a worker of this one.
 */
export function runVitestOnFixture(prefix: string, files: Record<string, string>, testOptions: string): Promise<VitestRun> {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, name), text);
  writeFileSync(path.join(root, 'vitest.config.mjs'), `export default { test: { root: ${JSON.stringify(root)}, globals: true, pool: 'forks', ${testOptions} } };\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1' };
  for (const key of ['SKYFLO_TEST_RUN', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID', 'NODE_OPTIONS']) delete env[key];
  return new Promise((resolve) => {
    execFile(process.execPath, [vitestBin, 'run', '--config', path.join(root, 'vitest.config.mjs')], { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr), root });
    });
  });
}
