/**
 * P6: time from spawning `skyflo serve` (PGlite, fresh data dir, no LLM) until /api/v1/health answers, goal < 3 s.
 * Then a warm start on the same data dir (database already initialised). The baseline, measured in the same run, is
 * `skyflo --help`: node + the tsx loader + the CLI, doing nothing; starts are also printed as ratios to it.
 * A fresh data dir is seeded from .tools/pglite-template (made at npm install) when it exists. Prints figures; not a test.
 *   npx tsx bench/engine-cold-start.ts [runs=3]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { skyfloBin as bin, startServe } from './support/serve-process.ts';
import { printBenchHeader } from './support/bench-header.ts';
import { median } from './support/statistics.ts';
import { benchArguments } from './support/bench-arguments.ts';

printBenchHeader('engine-cold-start', 'PGlite in a fresh data dir (cold), then the same data dir (warm)');

async function timeStart(dataDir: string): Promise<number> {
  const started = performance.now();
  const serve = startServe(dataDir);
  try {
    await serve.healthy();
    return performance.now() - started;
  } finally {
    await serve.stop();
  }
}

async function timeHelp(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, '--help'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return performance.now() - started;
}

const [runs] = benchArguments('npx tsx bench/engine-cold-start.ts [runs=3]', [{ name: 'runs', fallback: 3 }]).counts;
const cold: number[] = [];
const warm: number[] = [];
const baseline: number[] = [];
for (let run = 0; run < runs; run += 1) {
  baseline.push(await timeHelp());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-cold-'));
  cold.push(await timeStart(dataDir));
  warm.push(await timeStart(dataDir));
  rmSync(dataDir, { recursive: true, force: true });
}
const format = (values: number[]) => values.map((value) => `${(value / 1000).toFixed(2)} s`).join(', ');
const ratio = (values: number[]) => `${(median(values) / median(baseline)).toFixed(1)}× the baseline`;
console.log(`P6 baseline (skyflo --help: node + tsx + CLI): median ${(median(baseline) / 1000).toFixed(2)} s  [${format(baseline)}]`);
console.log(`P6 cold start (fresh PGlite data dir → /api/v1/health): median ${(median(cold) / 1000).toFixed(2)} s  [${format(cold)}]  ${ratio(cold)}  goal < 3 s: ${median(cold) < 3000 ? 'met' : 'NOT met'}`);
console.log(`P6 warm start (existing data dir): median ${(median(warm) / 1000).toFixed(2)} s  [${format(warm)}]  ${ratio(warm)}`);
