/**
 * Issue 31 item 14: a killed server left its tool processes running (re-parented to PID 1): `helm install --wait`
 * went on changing the cluster after the engine had called the outcome unknown. Now every tool process runs in a
 * group of its own, and the reaper (child-reaper.ts) ends the group when the server dies — SIGKILL included — and
 * the runner ends the whole group on a timeout.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCommandRunner } from '../../src/exec/create-command-runner.ts';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'server-running-a-command.ts');
let directory: string;

/** Whether a process still runs (a zombie waiting to be reaped by PID 1 does not run). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return false;
  }
}

async function pidsWrittenTo(file: string): Promise<number[]> {
  return vi.waitFor(
    async () => {
      const text = await readFile(file, 'utf8');
      const pids = text.trim().split(' ').map(Number);
      if (pids.length !== 2 || pids.some((pid) => !(pid > 1))) throw new Error(`not yet: ${text}`);
      return pids;
    },
    { timeout: 20_000, interval: 50 },
  );
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-reaper-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('tool processes', () => {
  it.each(['SIGKILL', 'SIGTERM'] as const)('end when the server running them is killed with %s, with what they started', async (signal) => {
    const pidFile = path.join(directory, `${signal}.pids`);
    const server = spawn(process.execPath, ['--import', 'tsx', fixture, pidFile], { stdio: 'ignore' });
    const exited = new Promise((resolve) => server.once('exit', resolve));
    const [command, grandchild] = await pidsWrittenTo(pidFile);
    expect([isRunning(command!), isRunning(grandchild!)]).toEqual([true, true]);

    server.kill(signal);
    await exited;
    await vi.waitFor(() => expect({ command: isRunning(command!), grandchild: isRunning(grandchild!) }).toEqual({ command: false, grandchild: false }), { timeout: 15_000, interval: 50 });
  });

  it.each(['timeout', 'cancel'] as const)('a %s ends the whole process group, not only the command', async (reason) => {
    const pidFile = path.join(directory, `${reason}.pids`);
    const script = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, process.pid + ' ' + child.pid);
setInterval(() => {}, 60000);
`;
    const controller = new AbortController();
    const running = createCommandRunner().run({ binary: process.execPath, args: ['-e', script], timeoutMs: reason === 'timeout' ? 1_500 : 60_000, signal: controller.signal });
    const [command, grandchild] = await pidsWrittenTo(pidFile);
    if (reason === 'cancel') controller.abort();
    expect(await running).toMatchObject(reason === 'timeout' ? { timedOut: true } : { exitCode: 130, stderr: 'cancelled' });
    await vi.waitFor(() => expect({ command: isRunning(command!), grandchild: isRunning(grandchild!) }).toEqual({ command: false, grandchild: false }), { timeout: 10_000, interval: 50 });
  });

  // Each runner's reaper listened for this process's exit for the life of the process: a test worker starting a dozen
  // MCP servers printed Node's MaxListenersExceededWarning.
  it('leave no exit listener behind once they ended, however many runners ran them', async () => {
    const before = process.listenerCount('exit');
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const runners = Array.from({ length: 15 }, () => createCommandRunner());
      const running = runners.map((runner) => runner.run({ binary: process.execPath, args: ['-e', 'setTimeout(() => {}, 200)'], timeoutMs: 60_000 }));
      // while they run, one listener ends all their groups should this process exit
      expect(process.listenerCount('exit')).toBe(before + 1);
      const results = await Promise.all(running);
      expect(results.map((result) => result.exitCode)).toEqual(Array(15).fill(0));
      expect(process.listenerCount('exit')).toBe(before);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
