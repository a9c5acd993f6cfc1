/**
 * The first hour in a checkout, as a user runs it: `npm start`, `npm run sandbox` and `npm run dev:ui` through the
 * real npm, each in a process group of its own so a test can signal npm alone (as a supervisor, an IDE's stop
 * button or `kill <npm pid>` does) and then check that nothing of the group is left.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { kubectlPath, repoRoot } from '@skyflo/testkit/tools';
import { afterEach, describe, expect, it, vi } from 'vitest';

const run = promisify(execFile);
const started: Array<{ child: ChildProcess; directory: string }> = [];

interface NpmRun {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

/** `npm run <script> [-- args]` from the repository root, as the leader of a new process group. */
function npmRun(script: string, args: string[], env: Record<string, string>): NpmRun {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-npm-'));
  const child = spawn('npm', ['run', script, ...(args.length ? ['--', ...args] : [])], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // a home of its own: no user npmrc, npm's logs in the temp dir
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: directory, KUBECACHEDIR: path.join(directory, 'kube-cache'), ...env },
  });
  started.push({ child, directory });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => output, exited };
}

/** True while any process of the group (npm's pid is its id) is alive. */
function groupAlive(groupId: number): boolean {
  try {
    process.kill(-groupId, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

async function waitForOutput(npm: NpmRun, pattern: RegExp, timeout = 60_000): Promise<RegExpMatchArray> {
  return vi.waitFor(
    () => {
      const match = npm.output().match(pattern);
      if (!match) throw new Error(`no ${pattern} yet; exit ${npm.child.exitCode}; output:\n${npm.output()}`);
      return match;
    },
    { timeout, interval: 100 },
  );
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

afterEach(() => {
  for (const { child, directory } of started.splice(0)) {
    if (child.pid && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  }
});

describe('npm start', () => {
  it('a SIGTERM to npm alone stops the engine too: the port closes and no process of the group is left', { timeout: 180_000 }, async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-start-'));
    // a UI that is already built, so `--if-missing` skips the build
    const uiDir = path.join(directory, 'ui');
    mkdirSync(uiDir);
    writeFileSync(path.join(uiDir, 'index.html'), '<!doctype html><title>prebuilt</title>');
    const npm = npmRun('start', [], { PORT: '0', LOG_LEVEL: 'info', SKYFLO_DATA_DIR: path.join(directory, 'data'), UI_DIST_DIR: uiDir });
    const [, url] = await waitForOutput(npm, /Skyflo engine listening on (http:\/\/[\d.:]+)/, 120_000);
    expect(await answers(`${url}/api/v1/health`)).toBe(true);
    expect(npm.output()).not.toMatch(/Building the Command Center UI/);

    process.kill(npm.child.pid!, 'SIGTERM');
    await npm.exited;
    await vi.waitFor(async () => expect(await answers(`${url}/api/v1/health`)).toBe(false), { timeout: 30_000, interval: 100 });
    await vi.waitFor(() => expect(groupAlive(npm.child.pid!)).toBe(false), { timeout: 30_000, interval: 100 });
    rmSync(directory, { recursive: true, force: true });
  });
});

describe('npm run sandbox', () => {
  it('builds the missing UI, serves it, suggests questions about what is really broken in the demo cluster, and stops with npm', { timeout: 300_000 }, async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-sandbox-'));
    const uiDir = path.join(directory, 'ui');
    const npm = npmRun('sandbox', ['--port', '0'], { LOG_LEVEL: 'warn', SKYFLO_DATA_DIR: path.join(directory, 'data'), UI_DIST_DIR: uiDir });
    const [, url] = await waitForOutput(npm, /Skyflo sandbox is running at (http:\/\/[\d.:]+)/, 240_000);
    expect(npm.output()).toMatch(/Building the Command Center UI/);

    // the URL the banner says to open shows the Command Center, not the "UI not built" page
    const page = await fetch(url!, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Skyflo Command Center</title>');
    expect(html).not.toMatch(/not built/i);

    // the suggested questions name workloads the demo cluster really has, in the state the question says
    const banner = npm.output().slice(npm.output().indexOf('Skyflo sandbox is running'));
    expect(banner).not.toMatch(/\bapi pod\b/);
    expect(banner).toMatch(/checkout pod in prod crash-looping/);
    expect(banner).toMatch(/frontend in staging pull its image/);
    const kubeconfig = banner.match(/kubectl --kubeconfig (\S+) get pods -A/)![1];
    const kubectl = async (args: string[]) => (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { PATH: process.env.PATH ?? '', HOME: directory, KUBECACHEDIR: path.join(directory, 'kube-cache') } })).stdout;
    await vi.waitFor(
      async () => {
        const prod = await kubectl(['get', 'pods', '-n', 'prod', '-l', 'app=checkout']);
        expect(prod).toMatch(/checkout-\S+\s+0\/1\s+(CrashLoopBackOff|Error)/);
        const staging = await kubectl(['get', 'pods', '-n', 'staging', '-l', 'app=frontend']);
        expect(staging).toMatch(/frontend-\S+\s+0\/1\s+(ErrImagePull|ImagePullBackOff)/);
      },
      { timeout: 30_000, interval: 250 },
    );

    process.kill(npm.child.pid!, 'SIGTERM');
    await npm.exited;
    await vi.waitFor(async () => expect(await answers(`${url}/api/v1/health`)).toBe(false), { timeout: 30_000, interval: 100 });
    await vi.waitFor(() => expect(groupAlive(npm.child.pid!)).toBe(false), { timeout: 30_000, interval: 100 });
    rmSync(directory, { recursive: true, force: true });
  });
});

describe('npm run dev:ui', () => {
  it('-- --port N serves the Vite dev server on port N', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const npm = npmRun('dev:ui', ['--port', String(port)], {});
    await vi.waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
        expect(await response.text()).toContain('<title>Skyflo Command Center</title>');
      },
      { timeout: 60_000, interval: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nnpm output:\n${npm.output()}`);
    });
    expect(npm.output()).toContain(`http://127.0.0.1:${port}/`);
  });
});
