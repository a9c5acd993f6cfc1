/**
 * Start-up of the compiled release (packages/cli/dist, built by scripts/build-release.mjs) against today's tsx path
 * (packages/cli/bin/skyflo.mjs in the checkout), both measured in this run, with `node -e 0` as the baseline:
 *   1. `skyflo serve` with a fresh PGlite data dir until /api/v1/health answers 200 (goal <= 1 s compiled);
 *   2. `skyflo mcp --stdio` until it answers tools/list (goal <= 400 ms compiled).
 * A second baseline, the floor under the first: PGlite's own start in a bare `node` process (support/pglite-open-floor
 * .mjs: a fresh copy of the same template, the engine's start parameters, one query answered), so the serve line also
 * says what the engine adds on top of the database it waits for last.
 * Two figures say what the first start pays that later ones do not: the same compiled build started again on the data
 * dir its first start seeded (every start after a user's first), and the template's copy alone, made here by the
 * engine's own seeding function (its cost is creating ~400 files: 0.1-1.8 ms of CPU each on the virtual disks of the
 * two-core machines in the README, moving with the host's own disk work; ~0.1 ms on the same machines' tmpfs).
 * Prints medians and ratios; not a test.   npx tsx bench/release-start.ts [runs=5]
 *
 * Also prints where the compiled start's time goes: each start runs with SKYFLO_STARTUP_TRACE=1, which makes the
 * engine print its phases (ms since the process started, the main thread's CPU time and the whole process's, see
 * packages/engine/src/platform/observability/startup-trace.ts); the medians are printed phase by phase, with the process's CPU time
 * when /health first answered 200 (/proc/<pid>/stat: every thread, the database's and libuv's included). On a loaded
 * machine the wall clock stretches but the CPU times barely move: compare those between builds.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { defaultPgliteTemplateDir, pgliteStartParams, seedFromPgliteTemplate } from '@skyflo/engine/testing';
import { repoRoot } from '@skyflo/testkit/tools';
import { timeMcpToolsList, timeNodeStart } from './support/mcp-tools-list-time.ts';
import { printBenchHeader } from './support/bench-header.ts';
import { statCpuMs } from './support/thread-cpu.ts';
import { median } from './support/statistics.ts';
import { benchArguments } from './support/bench-arguments.ts';
import { shippedBuild } from './support/shipped-build.ts';

printBenchHeader('release-start', 'PGlite in a fresh data dir for `skyflo serve`; none for `skyflo mcp`');

const [runs] = benchArguments('npx tsx bench/release-start.ts [runs=5]', [{ name: 'runs', fallback: 5 }]).counts;
const compiled = [path.join(repoRoot, 'packages', 'cli', 'dist', 'skyflo.js')];
const tsxPath = [path.join(repoRoot, 'packages', 'cli', 'bin', 'skyflo.mjs')];
const scratch = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-release-'));
// A kubeconfig naming a cluster nobody listens on: nothing here talks to a cluster, and nothing may leave 127.0.0.1.
const kubeconfig = path.join(scratch, 'kubeconfig');
writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n');
const env = { PATH: process.env.PATH ?? '', HOME: scratch, KUBECONFIG: kubeconfig };

type Phases = Record<string, { ms: number; cpuMs?: number; processCpuMs?: number }>;
const traces: Array<{ phases: Phases; processCpuMs: number; healthMs: number }> = [];

/** utime + stime of every thread of `pid` so far, in ms (Linux); NaN elsewhere */
const processCpuMs = (pid: number): number => statCpuMs(`/proc/${pid}/stat`);

/**
 * ms from spawning `skyflo serve` to its first 200 on /health. In a fresh data dir of its own unless given one (which
 * is then kept: the caller starts it again there).
 */
async function timeServe(command: string[], options: { trace?: boolean; dataDir?: string } = {}): Promise<number> {
  const trace = options.trace ?? false;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(scratch, 'data-'));
  const started = performance.now();
  const child = spawn(process.execPath, [...command, 'serve', '--port', '0'], { env: { ...env, SKYFLO_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...(trace ? { SKYFLO_STARTUP_TRACE: '1' } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited:\n${output}`);
      const url = /listening on (http:\/\/[^"\s]+)/.exec(output)?.[1];
      if (url && (await fetch(`${url}/api/v1/health`).then((response) => response.ok, () => false))) {
        const healthMs = performance.now() - started;
        if (trace) {
          const cpu = processCpuMs(child.pid!);
          const line = /skyflo-startup (\{.*\})/.exec(output)?.[1];
          if (!line) throw new Error(`SKYFLO_STARTUP_TRACE=1 printed no start-up phases:\n${output}`);
          traces.push({ phases: JSON.parse(line) as Phases, processCpuMs: cpu, healthMs });
        }
        return healthMs;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

const floorCpuMs: number[] = [];

/**
 * ms from spawning the floor (support/pglite-open-floor.mjs) to its `ready`: PGlite alone opening a fresh copy of the
 * template, made before the clock starts. Notes the process's CPU time at that moment in floorCpuMs.
 */
async function timePgliteFloor(): Promise<number> {
  const databaseDir = path.join(mkdtempSync(path.join(scratch, 'floor-')), 'pglite');
  cpSync(path.join(defaultPgliteTemplateDir, 'pglite'), databaseDir, { recursive: true });
  const script = path.join(repoRoot, 'bench', 'support', 'pglite-open-floor.mjs');
  const started = performance.now();
  const child = spawn(process.execPath, [script, databaseDir, JSON.stringify(pgliteStartParams)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ready = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('ready\n')) return;
      const readyMs = performance.now() - started;
      floorCpuMs.push(processCpuMs(child.pid!));
      resolve(readyMs);
    });
    child.once('exit', (code) => reject(new Error(`the PGlite floor exited (${code}) before it was ready:\n${output}`)));
  });
  child.removeAllListeners('exit');
  await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
  rmSync(path.dirname(databaseDir), { recursive: true, force: true });
  return ready;
}

const templateFiles = readdirSync(path.join(defaultPgliteTemplateDir, 'pglite'), { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
const copyCpuMs: number[] = [];

/**
 * ms the engine's own seeding (seedFromPgliteTemplate, as a fresh start runs it on its database thread) takes to copy
 * the template into an empty directory here, alone; its CPU time (this process's, libuv's threads included) goes to
 * copyCpuMs. Fails when nothing was copied (no template for this PGlite: `npm install` makes it).
 */
async function timeTemplateCopy(): Promise<number> {
  const databaseDir = mkdtempSync(path.join(scratch, 'copy-'));
  const before = process.resourceUsage();
  const started = performance.now();
  const marker = await seedFromPgliteTemplate({ databaseDir });
  const copiedMs = performance.now() - started;
  const after = process.resourceUsage();
  if (!marker || !existsSync(path.join(databaseDir, 'PG_VERSION'))) throw new Error(`no template was copied into ${databaseDir} (is ${defaultPgliteTemplateDir} there? npm install makes it)`);
  copyCpuMs.push((after.userCPUTime - before.userCPUTime + after.systemCPUTime - before.systemCPUTime) / 1000);
  rmSync(databaseDir, { recursive: true, force: true });
  return copiedMs;
}

// the release build as it is: a bench never builds (support/shipped-build.ts says why), it checks the build is this checkout's
console.log(`  ${shippedBuild().describe}`);

const figures: Record<string, number[]> = { baseline: [], pgliteFloor: [], serveCompiled: [], serveCompiledAgain: [], serveTsx: [], mcpCompiled: [], mcpTsx: [], templateCopy: [] };
for (let run = 0; run < runs; run += 1) {
  figures.baseline.push(await timeNodeStart());
  figures.pgliteFloor.push(await timePgliteFloor());
  figures.mcpCompiled.push(await timeMcpToolsList(compiled, env));
  figures.mcpTsx.push(await timeMcpToolsList(tsxPath, env));
  const seeded = mkdtempSync(path.join(scratch, 'data-'));
  figures.serveCompiled.push(await timeServe(compiled, { trace: true, dataDir: seeded }));
  // The same build again on the directory its first start seeded: what every later start of an install pays.
  if (!existsSync(path.join(seeded, 'pglite', 'PG_VERSION'))) throw new Error(`the first start left no database in ${seeded} to start again on`);
  figures.serveCompiledAgain.push(await timeServe(compiled, { dataDir: seeded }));
  rmSync(seeded, { recursive: true, force: true });
  figures.serveTsx.push(await timeServe(tsxPath));
  figures.templateCopy.push(await timeTemplateCopy());
}
rmSync(scratch, { recursive: true, force: true });

const base = median(figures.baseline);
const line = (label: string, values: number[], goalMs?: number, against?: number[]) =>
  `${label}: median ${median(values).toFixed(0)} ms  [${values.map((value) => value.toFixed(0)).join(', ')}]  ${(median(values) / base).toFixed(1)}× node -e 0` +
  (against ? `, ${(median(against) / median(values)).toFixed(1)}× faster than tsx` : '') +
  (goalMs ? `  goal <= ${goalMs} ms: ${median(values) <= goalMs ? 'met' : 'NOT met'}` : '');
console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
console.log(line('baseline node -e 0', figures.baseline));
console.log(line('skyflo mcp → tools/list, compiled', figures.mcpCompiled, 400, figures.mcpTsx));
console.log(line('skyflo mcp → tools/list, tsx     ', figures.mcpTsx));
console.log(line('floor: PGlite alone opens a fresh copy (bare node)', figures.pgliteFloor));
console.log(line('skyflo serve → /api/v1/health (fresh PGlite), compiled', figures.serveCompiled, 1000, figures.serveTsx));
console.log(`  = ${(median(figures.serveCompiled) / median(figures.pgliteFloor)).toFixed(2)}× the floor: the engine adds ${(median(figures.serveCompiled) - median(figures.pgliteFloor)).toFixed(0)} ms to PGlite's own start`);
console.log(line('skyflo serve → /api/v1/health (fresh PGlite), tsx     ', figures.serveTsx));
console.log(line('skyflo serve → /api/v1/health, compiled, started again on its data dir', figures.serveCompiledAgain));
console.log(
  `the template's copy alone (${templateFiles} files, the engine's seeding, in this process): median ${median(figures.templateCopy).toFixed(0)} ms, ` +
    `${median(copyCpuMs).toFixed(0)} ms of CPU (${((1000 * median(copyCpuMs)) / templateFiles).toFixed(0)} µs per file): what a first start pays beyond the floor's own start`,
);

// Phase by phase (medians over the compiled starts): when it ended, and the CPU time used by then.
const phaseNames = Object.keys(traces[0]!.phases).sort((a, b) => traces[0]!.phases[a]!.ms - traces[0]!.phases[b]!.ms);
console.log('\ncompiled serve, start-up phases (median over runs; ms since the process started):');
console.log(`  ${'phase'.padEnd(34)} ${'ended at'.padStart(9)} ${'main-thread CPU'.padStart(16)} ${'process CPU'.padStart(12)}`);
for (const name of phaseNames) {
  const at = (key: 'ms' | 'cpuMs' | 'processCpuMs') => median(traces.map((trace) => trace.phases[name]?.[key] ?? Number.NaN));
  console.log(`  ${name.padEnd(34)} ${`${at('ms')} ms`.padStart(9)} ${`${at('cpuMs')} ms`.padStart(16)} ${`${at('processCpuMs')} ms`.padStart(12)}`);
}
console.log(`  ${'(the floor: PGlite alone, ready)'.padEnd(34)} ${`${median(figures.pgliteFloor).toFixed(0)} ms`.padStart(9)} ${''.padStart(16)} ${`${median(floorCpuMs).toFixed(0)} ms`.padStart(12)}`);
console.log(`  ${'first 200 on /health (from spawn)'.padEnd(34)} ${`${median(traces.map((trace) => trace.healthMs)).toFixed(0)} ms`.padStart(9)} ${''.padStart(16)} ${`${median(traces.map((trace) => trace.processCpuMs)).toFixed(0)} ms`.padStart(12)}`);
