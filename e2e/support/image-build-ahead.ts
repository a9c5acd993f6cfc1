/**
 * The container image, built while the suites run rather than after them. `npm test` starts this first:
 *
 *   node --import tsx e2e/support/image-build-ahead.ts start <run id>
 *
 * It copies the build context at once (before any suite can write into the checkout) and leaves a detached worker
 * that builds the image at the lowest CPU priority (nice 19): it takes only the cycles the suites leave idle — a fifth
 * of the two cores over a main tier, while the build needs about 4 minutes of one core — so the suites are not slowed
 * by it, and the image test (the run's second phase, e2e/container-image.test.ts) finds the image built and only runs
 * it. Why not inside the first phase as a test: beside the suites at normal priority it slowed them, and niced it was
 * starved past any fixed limit a test can have; a worker has no test's limit, only the build's own.
 *
 * The worker's state is a JSON file in the temp dir named by the run id (the npm script's shell pid), written by
 * rename so a reader never sees half of it. The worker belongs to that run: when the shell is gone (the run ended, or
 * the first phase failed and the second never ran) it stops a build still going and removes the image it made.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { buildImageFromContext, makeImageContext, sh } from './container-image-build.ts';

export type ImageBuildState =
  | { state: 'building'; tag: string; workerPid: number; startedAt: string }
  | { state: 'built'; tag: string; workerPid: number; startedAt: string; seconds: number; leftContainers: string[] }
  | { state: 'failed'; tag: string; workerPid: number; startedAt: string; seconds: number; error: string };

/** Run ids are the npm script's shell pid; anything else is refused rather than put into a path or a tag. */
function checkedRunId(runId: string | undefined): string {
  if (!runId || !/^\d+$/.test(runId)) throw new Error(`image-build-ahead: the run id must be the npm script's shell pid (digits), got ${JSON.stringify(runId)}`);
  return runId;
}

function aheadTag(runId: string): string {
  return `localhost/skyflo:ci-run-${checkedRunId(runId)}`;
}

export function imageBuildStateFile(runId: string): string {
  return path.join(tmpdir(), `skyflo-image-build-${checkedRunId(runId)}.json`);
}

export function imageBuildLogFile(runId: string): string {
  return path.join(tmpdir(), `skyflo-image-build-${checkedRunId(runId)}.log`);
}

function writeState(runId: string, state: ImageBuildState): void {
  const file = imageBuildStateFile(runId);
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}

export function readImageBuildState(runId: string): ImageBuildState | undefined {
  const file = imageBuildStateFile(runId);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ImageBuildState) : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The image this run built ahead, once its build has ended: its tag and the working containers its build left behind,
 * or an error saying why there is none. Undefined when this run started no build ahead (vitest run directly), so the
 * caller builds it itself.
 */
export async function awaitImageBuiltAhead(runId: string | undefined, timeoutMs: number): Promise<{ tag: string; leftContainers: string[] } | undefined> {
  if (!runId || !/^\d+$/.test(runId) || !existsSync(imageBuildStateFile(runId))) return undefined;
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const state = readImageBuildState(runId)!;
    // the file is in the shared temp dir: only the tag this run's worker is told to build is ever run
    if (state.tag !== aheadTag(runId)) throw new Error(`${imageBuildStateFile(runId)} names ${JSON.stringify(state.tag)}, not this run's image ${aheadTag(runId)}`);
    if (state.state === 'built') return { tag: state.tag, leftContainers: state.leftContainers };
    if (state.state === 'failed') throw new Error(`the image build started with the run failed after ${state.seconds} s (log: ${imageBuildLogFile(runId)}):\n${state.error}`);
    if (!alive(state.workerPid)) throw new Error(`the image build's worker (pid ${state.workerPid}) is gone without a result (log: ${imageBuildLogFile(runId)})`);
    if (Date.now() > deadline) throw new Error(`the image build started at ${state.startedAt} had not finished after this test waited ${timeoutMs / 1000} s (log: ${imageBuildLogFile(runId)})`);
    if (!announced) console.info(`[container-image] waiting for the image build started with the run (${state.startedAt})`);
    announced = true;
    await delay(1000);
  }
}

/** `start`: copy the context, leave the detached worker, return at once. */
async function start(runId: string): Promise<void> {
  const context = await makeImageContext();
  const tag = aheadTag(runId);
  const log = openSync(imageBuildLogFile(runId), 'w');
  const worker = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'build', runId, context], { detached: true, stdio: ['ignore', log, log] });
  writeState(runId, { state: 'building', tag, workerPid: worker.pid!, startedAt: new Date().toISOString() });
  worker.unref();
  console.info(`[image-build-ahead] building ${tag} beside the suites at nice 19 (worker ${worker.pid}, log ${imageBuildLogFile(runId)})`);
}

/** `build`: the worker. Builds, records the outcome, then waits for its run to end and removes what it made. */
async function build(runId: string, context: string, tag: string): Promise<void> {
  setPriority(19);
  const startedAt = new Date().toISOString();
  const began = Date.now();
  const seconds = () => Math.round((Date.now() - began) / 1000);
  const runShellPid = Number(runId);
  const abort = new AbortController();
  let stoppedWithTheRun = false;
  const watch = setInterval(() => {
    if (!alive(runShellPid)) abort.abort();
  }, 2000);
  try {
    const { leftContainers } = await buildImageFromContext(context, tag, abort.signal);
    writeState(runId, { state: 'built', tag, workerPid: process.pid, startedAt, seconds: seconds(), leftContainers });
    console.info(`built ${tag} in ${seconds()} s`);
  } catch (error) {
    stoppedWithTheRun = abort.signal.aborted;
    writeState(runId, { state: 'failed', tag, workerPid: process.pid, startedAt, seconds: seconds(), error: (error as Error).message.slice(-8000) });
    console.error(`the build of ${tag} failed after ${seconds()} s: ${(error as Error).message}`);
  }
  if (!abort.signal.aborted) await new Promise((resolve) => abort.signal.addEventListener('abort', resolve, { once: true }));
  clearInterval(watch);
  // the image test removes the image after its checks; this covers a run whose second phase never came
  await sh('podman', ['rmi', '-f', tag]).catch(() => '');
  const failedOnItsOwn = readImageBuildState(runId)?.state === 'failed' && !stoppedWithTheRun;
  rmSync(imageBuildStateFile(runId), { force: true });
  // the log of a build that failed by itself stays for whoever reads the failure; others have nothing to tell
  if (!failedOnItsOwn) rmSync(imageBuildLogFile(runId), { force: true });
}

const [command, ...args] = process.argv.slice(2);
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (command === 'start') await start(checkedRunId(args[0]));
  else if (command === 'build') await build(checkedRunId(args[0]), args[1]!, aheadTag(args[0]!));
  else {
    console.error('usage: node --import tsx e2e/support/image-build-ahead.ts start <run id (the npm script shell pid)>');
    process.exit(2);
  }
}
