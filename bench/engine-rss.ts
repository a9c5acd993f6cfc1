/**
 * P7: resident memory of the compiled `skyflo serve` (packages/cli/dist, built by scripts/build-release.mjs; no LLM)
 * right after start, once it is idle (30 s without a request: the engine gives back its young generation after 10 s
 * of quiet, memory/idle-heap-trim.ts), after N conversations created and renamed through the HTTP API by one user,
 * and idle again after them.
 * Goals (PGlite): idle <= 250 MiB, after 100 conversations <= 300 MiB (MiB as /proc reports them, the unit of the
 * issue's figures). Every figure is also printed as a ratio against the baseline measured in the same run: an idle
 * `node` process doing nothing.
 * First row: PGlite in a fresh data dir (the default); second row: Postgres on TEST_POSTGRES_URL's server (POSTGRES_DATABASE_URL
 * set, so no PGlite in the process), skipped with the reason when none answers. Fails (exit 1) rather than print a
 * figure for work it did not do: the wrong storage, a conversation not stored, a process that died.
 *   npx tsx bench/engine-rss.ts [conversations=100] [--malloc-arena-max=N] [--allow-stale-build]
 *   (the release build must exist: `npm run build`; --malloc-arena-max sets glibc's MALLOC_ARENA_MAX for the
 *   measured process, to compare against a run without it)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { expectOk, failBench, machineLoad } from './support/bench-header.ts';
import { postgresUnavailable, withBenchPostgresDatabase } from './support/bench-postgres.ts';
import { shippedBuild } from './support/shipped-build.ts';

const conversations = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 100);
const compiledEntry = path.join(repoRoot, 'packages', 'cli', 'dist', 'skyflo.js');
const GOAL_IDLE_MB = 250;
const GOAL_AFTER_MB = 300;
/** How long the process is left without a request before its idle figure is read. */
const IDLE_WAIT_MS = 30_000;

/** Thrown inside a row so its process is stopped and its data dir removed before the bench fails (exit 1). */
const fail = (message: string): never => {
  throw new Error(message);
};

const rssMiB = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((entry) => entry.startsWith('VmRSS:'));
  if (!line) throw new Error(`no VmRSS for process ${pid} (did it exit?)`);
  return Number(line.split(/\s+/)[1]) / 1024;
};

/**
 * RSS once it stops moving: work still runs after /health answers (lazy imports, the first queries), so one early
 * sample under-reports. Samples every 500 ms until the last 2 s stay within 2 MiB (or 30 s pass, said in the output).
 */
async function settledRss(child: ChildProcess): Promise<{ mib: number; settled: boolean }> {
  const samples: number[] = [];
  for (let tick = 0; tick < 60; tick += 1) {
    if (child.exitCode !== null) throw new Error('the measured process exited while being sampled');
    samples.push(rssMiB(child.pid!));
    const recent = samples.slice(-5);
    if (recent.length === 5 && Math.max(...recent) - Math.min(...recent) <= 2) return { mib: recent.at(-1)!, settled: true };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { mib: samples.at(-1)!, settled: false };
}

function spawnLogged(args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The same run's baseline: a `node` process that loads nothing and waits. */
async function baselineRss(): Promise<number> {
  const idle = spawnLogged(['-e', 'setInterval(() => {}, 1000)'], {});
  try {
    return (await settledRss(idle.child)).mib;
  } finally {
    await stop(idle.child);
  }
}

// Every conversation is created and renamed by one user in a burst: the per-user limits (30 new conversations a
// minute, 600 requests a minute) would answer most of them with 429, so they are raised for the measured process.
const raisedLimits = { CONVERSATIONS_PER_MINUTE: String(conversations + 10), RATE_LIMIT_PER_MINUTE: String(conversations * 3 + 100) };
const arenaMax = /^--malloc-arena-max=(\d+)$/.exec(process.argv.find((arg) => arg.startsWith('--malloc-arena-max=')) ?? '')?.[1];
const mallocEnv: Record<string, string> = arenaMax ? { MALLOC_ARENA_MAX: arenaMax } : {};

async function measure(storage: 'PGlite' | 'Postgres', extraEnv: Record<string, string>, baseline: number): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'skyflo-bench-rss-'));
  const serve = spawnLogged([compiledEntry, 'serve', '--port', '0'], { SKYFLO_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...raisedLimits, ...mallocEnv, ...extraEnv });
  try {
    let url: string | undefined;
    for (const started = Date.now(); !url; ) {
      if (serve.child.exitCode !== null || Date.now() - started > 60_000) throw new Error(`serve did not start:\n${serve.output()}`);
      const listening = /listening on (http:\/\/[^"\s]+)/.exec(serve.output())?.[1];
      if (listening && (await fetch(`${listening}/api/v1/health`).then((response) => response.ok, () => false))) url = listening;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // the row must measure the storage it names (a PGlite row on Postgres would hide the embedded database)
    const storageLog = /"storage":"([^"]+)"/.exec(serve.output())?.[1] ?? '';
    if (storage === 'PGlite' ? !storageLog.startsWith('pglite') : storageLog !== 'postgres') fail(`the ${storage} row ran on storage "${storageLog}"`);
    const rightAfterStart = await settledRss(serve.child);
    // Idle: no request for longer than the engine waits before it gives its young generation back (10 s of quiet,
    // then up to three collections 5 s apart: memory/idle-heap-trim.ts), then settled.
    await new Promise((resolve) => setTimeout(resolve, IDLE_WAIT_MS));
    const afterStart = await settledRss(serve.child);

    const api = `${url}/api/v1`;
    const credentials = { email: 'bench@example.com', password: 'rss-measure-passphrase-7' };
    await expectOk(await fetch(`${api}/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) }), 'registering the bench user');
    const login = await expectOk(await fetch(`${api}/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: credentials.email, password: credentials.password }) }), 'logging in');
    const { access_token: token } = (await login.json()) as { access_token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const ids: string[] = [];
    for (let index = 0; index < conversations; index += 1) {
      const created = (await (await expectOk(await fetch(`${api}/conversations`, { method: 'POST', headers, body: '{}' }), `creating conversation ${index}`)).json()) as { id: string };
      const rename = JSON.stringify({ title: `Conversation ${index}`, conversation_metadata: { index } });
      await expectOk(await fetch(`${api}/conversations/${created.id}`, { method: 'PATCH', headers, body: rename }), `renaming conversation ${index}`);
      ids.push(created.id);
    }
    // read back what was stored: the newest page of the list, and the first and last conversation with their titles
    const listed = (await (await expectOk(await fetch(`${api}/conversations?limit=50`, { headers }), 'listing conversations')).json()) as { data: unknown[] };
    const expected = Math.min(50, conversations);
    if (listed.data.length !== expected) fail(`listed ${listed.data.length} conversations, expected ${expected}: they were not stored`);
    for (const index of new Set([0, conversations - 1])) {
      if (index < 0) continue;
      const stored = (await (await expectOk(await fetch(`${api}/conversations/${ids[index]}`, { headers }), `reading conversation ${index}`)).json()) as { title?: string };
      if (stored.title !== `Conversation ${index}`) fail(`conversation ${index} reads back titled ${JSON.stringify(stored.title)}: the rename was not stored`);
    }
    const afterLoad = await settledRss(serve.child);
    await new Promise((resolve) => setTimeout(resolve, IDLE_WAIT_MS));
    const idleAfterLoad = await settledRss(serve.child);
    const figure = (mib: number) => `${mib.toFixed(0)} MiB (${(mib / baseline).toFixed(1)}× idle node)`;
    const goal = (mib: number, limit: number) => (storage === 'PGlite' ? (mib <= limit ? ` [goal ≤ ${limit} MiB met]` : ` [goal ≤ ${limit} MiB NOT met]`) : '');
    const unsettled = (sample: { settled: boolean }) => (sample.settled ? '' : ' (still moving after 30 s)');
    console.log(`  ${storage.padEnd(8)} right after start ${figure(rightAfterStart.mib)}${unsettled(rightAfterStart)}`);
    console.log(`  ${''.padEnd(8)} idle after start (${IDLE_WAIT_MS / 1000} s without a request) ${figure(afterStart.mib)}${unsettled(afterStart)}${goal(afterStart.mib, GOAL_IDLE_MB)}`);
    console.log(
      `  ${''.padEnd(8)} after ${conversations} conversations created, renamed and read back over HTTP ${figure(afterLoad.mib)}${unsettled(afterLoad)}` +
        ` (+${(afterLoad.mib - afterStart.mib).toFixed(0)} MiB)${conversations >= 100 ? goal(afterLoad.mib, GOAL_AFTER_MB) : ''}`,
    );
    console.log(`  ${''.padEnd(8)} idle again (${IDLE_WAIT_MS / 1000} s later) ${figure(idleAfterLoad.mib)}${unsettled(idleAfterLoad)}`);
  } finally {
    await stop(serve.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// the release build as it is: a bench never builds (support/shipped-build.ts says why), it checks the build is this checkout's
const build = shippedBuild();
console.log(`   ${build.describe}`);
console.log(`P7 engine RSS (compiled \`skyflo serve\`: engine + embedded MCP server + storage, one process); ${machineLoad()}`);
console.log(`   raised for this run: ${Object.entries(raisedLimits).map(([name, value]) => `${name}=${value}`).join(', ')} (one user creates every conversation)`);
console.log(`   glibc malloc arenas: ${arenaMax ? `MALLOC_ARENA_MAX=${arenaMax} set for the measured process` : 'the default (MALLOC_ARENA_MAX unset, 8 per core)'}`);
try {
  const baseline = await baselineRss();
  console.log(`  baseline: an idle \`node -e 'setInterval(…)'\` ${baseline.toFixed(0)} MiB`);
  await measure('PGlite', {}, baseline);
  const unavailable = await postgresUnavailable();
  if (unavailable) console.log(`  Postgres row skipped: ${unavailable}`);
  else await withBenchPostgresDatabase((url) => measure('Postgres', { POSTGRES_DATABASE_URL: url }, baseline));
} catch (error) {
  failBench(error instanceof Error ? error.message : String(error));
}
console.log(`   done; ${machineLoad()}`);
