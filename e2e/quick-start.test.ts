/**
 * The README's quick start, run as a new user would: a fresh clone, the README's own commands (read from the README,
 * so the test breaks when the README changes them), and the page they open in a real browser is the Command Center.
 * `npm install` runs offline from this machine's npm cache: tests reach nothing beyond 127.0.0.1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCommand, waitForJson, type RunningCommand } from './support/release-tarball.ts';
import { chromiumArgs } from './ui/ui-stack.ts';

const run = promisify(execFile);
const workDir = mkdtempSync(path.join(tmpdir(), 'skyflo-quick-start-'));
const clone = path.join(workDir, 'skyflo');
const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const running: RunningCommand[] = [];
let browser: Browser | undefined;
let sim: KubeSim | undefined;

/** The README's "Run it" command block, e.g. "npm install && npm start". */
const runIt = /## Run it\s+```sh\n([^\n]+)\n```/.exec(readme)?.[1]?.trim() ?? '';
const [installCommand, startCommandText] = runIt.split('&&').map((part) => part.trim());

/** A new user's shell: npm's own cache (offline: no registry), no workspace on the module path. */
function userEnv(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? workDir,
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    ...extra,
  };
}

/** Runs one of the README's npm commands (an argv array: no shell) in the clone and waits for its URL. */
async function startReadmeCommand(command: string, env: Record<string, string>, urlPattern: RegExp): Promise<{ process: RunningCommand; url: string }> {
  const [npm, ...args] = command.split(/\s+/);
  expect(npm).toBe('npm');
  const started = startCommand('npm', args, userEnv(env), { cwd: clone });
  running.push(started);
  // Builds the UI first when it is missing (a fresh clone has none), then starts: slow on a busy machine.
  const match = await started.waitFor(urlPattern, 600_000);
  return { process: started, url: match[1]! };
}

async function expectCommandCenter(url: string): Promise<void> {
  browser ??= await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: chromiumArgs });
  const page = await browser.newPage();
  try {
    await page.goto(url);
    // A fresh install opens on the first-run page of the web app, not the plain-text "UI not built" page.
    await page.getByRole('heading', { name: 'Create the admin account' }).waitFor({ timeout: 60_000 });
    expect(await page.title()).toContain('Skyflo');
    expect(await page.locator('body').innerText()).not.toContain('UI not built');
  } finally {
    await page.close();
  }
}

beforeAll(async () => {
  expect(installCommand, `the README's "Run it" block is "npm install && npm start" (found: ${runIt})`).toBe('npm install');
  await run('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone], { maxBuffer: 16 * 1024 * 1024 });
  await run('npm', installCommand!.split(/\s+/).slice(1), { cwd: clone, env: userEnv({}), maxBuffer: 64 * 1024 * 1024 });
}, 1_200_000);

afterAll(async () => {
  for (const command of running) await command.stop();
  await browser?.close();
  await sim?.close();
  rmSync(workDir, { recursive: true, force: true });
}, 300_000);

describe("the README's quick start on a fresh clone", { timeout: 900_000 }, () => {
  it('npm run sandbox serves the Command Center against the simulated cluster, and stops with npm', async () => {
    const sandboxCommand = /`(npm run sandbox)`/.exec(readme)?.[1];
    expect(sandboxCommand, 'the README names `npm run sandbox`').toBe('npm run sandbox');
    const { process: sandbox, url } = await startReadmeCommand(sandboxCommand!, { PORT: '0' }, /Skyflo sandbox is running at (http:\/\/[^\s]+)/);
    // The banner suggests questions about what is really broken in the demo cluster.
    expect(sandbox.output()).toContain('checkout');
    const health = (await waitForJson(`${url}/api/v1/health`)) as { status: string };
    expect(health.status).toBe('ok');
    await expectCommandCenter(url);
    // Stopping npm stops the engine too: nothing is left answering on its port. The engine notices its parent is gone
    // on its next check and then shuts down cleanly, so the port closes a moment after npm has exited.
    await sandbox.stop();
    await vi.waitFor(() => expect(fetch(`${url}/api/v1/health`)).rejects.toThrow(), { timeout: 60_000, interval: 200 });
  });

  it(`${startCommandText ?? 'npm start'} serves the Command Center against the current kubeconfig`, async () => {
    expect(startCommandText).toBe('npm start');
    sim = await startKubeSim({ port: 0, kubeconfigPath: path.join(workDir, 'kubeconfig') });
    const { url } = await startReadmeCommand(startCommandText!, { PORT: '0', KUBECONFIG: path.join(workDir, 'kubeconfig'), SKYFLO_DATA_DIR: path.join(workDir, 'data') }, /Skyflo engine listening on (http:\/\/[^\s"]+)/);
    await waitForJson(`${url}/api/v1/health`);
    await expectCommandCenter(url);
  });
});
