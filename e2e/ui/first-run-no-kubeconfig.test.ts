/**
 * A first run without a kubeconfig (issue 37 item 1), as a new user meets it: `skyflo serve` (what `npm start` runs)
 * with a home that has no ~/.kube/config, no KUBECONFIG and no pod around it. The start-up log, GET /clusters and the
 * home page all say what /health says — no kubeconfig was found, pass --kubeconfig or set KUBECONFIG — and point to
 * `npm run sandbox`; the page offers no cluster picker with nothing in it, and the composer says why nothing runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { phoneProblems } from './phone-checks.ts';
import { ADMIN, artifactsDir, chromiumArgs, sharedUiBuild } from './ui-stack.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

const noKubeconfig = /No kubeconfig found: \S+\/\.kube\/config does not exist, KUBECONFIG and --kubeconfig are unset, and this is not a pod \(KUBERNETES_SERVICE_HOST is unset\)\. Pass --kubeconfig <file>, set KUBECONFIG, or run in a pod with a service account\./;
const sandboxPointer = /`npm run sandbox`/;

let directory: string;
let child: ChildProcess | undefined;
let output = '';
let url: string;
let browser: Browser | undefined;

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'skyflo-no-kubeconfig-'));
  const uiDir = await sharedUiBuild(path.join(directory, 'ui'));
  // a home of its own (no ~/.kube/config), and none of KUBECONFIG, KUBERNETES_SERVICE_HOST or MCP_SERVER_URL; a model
  // is configured (never asked: nothing is sent), so the cluster is what stops the chat
  child = spawn(process.execPath, [skyfloEntry(), 'serve', '--port', '0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: directory, LOG_LEVEL: 'info', LLM_MODEL: 'openai-compatible/first-run-model', LLM_HOST: 'http://127.0.0.1:9/v1', SKYFLO_DATA_DIR: path.join(directory, 'data'), UI_DIST_DIR: uiDir },
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = await vi.waitFor(
    () => {
      const match = /Skyflo engine listening on (http:\/\/[\d.:]+)/.exec(output);
      if (!match) throw new Error(`not listening yet (exit ${child!.exitCode}):\n${output}`);
      return match[1]!;
    },
    { timeout: 120_000, interval: 100 },
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: chromiumArgs });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(directory, { recursive: true, force: true });
});

describe('first run without a kubeconfig', () => {
  it('the start-up log says no kubeconfig was found, what to pass, and points to the sandbox', async () => {
    const line = await vi.waitFor(
      () => {
        const found = output.split('\n').find((entry) => entry.includes('No kubeconfig found'));
        if (!found) throw new Error(`no kubeconfig message in the log yet:\n${output}`);
        return found;
      },
      { timeout: 60_000, interval: 100 },
    );
    const logged = JSON.parse(line) as { level: number; msg: string };
    expect(logged.level).toBeGreaterThanOrEqual(40);
    expect(logged.msg).toMatch(noKubeconfig);
    expect(logged.msg).toMatch(sandboxPointer);
    // the message for the model ("Try: tell the user …") is not for the person reading the log
    expect(logged.msg).not.toMatch(/Try:|list_clusters/);
  });

  it('GET /clusters is a typed 503 with the same words, described in the OpenAPI document; the home page shows them and says why nothing runs', async () => {
    const registered = await fetch(`${url}/api/v1/auth/register/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password, full_name: ADMIN.name }),
    });
    expect(registered.status).toBe(201);
    const context = await browser!.newContext({ baseURL: url, viewport: { width: 1366, height: 860 } });
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /What should we look at/ }).waitFor();

    const clusters = await page.request.get('/api/v1/clusters');
    expect(clusters.status()).toBe(503);
    const body = (await clusters.json()) as { detail: string; code: string };
    expect(body.code).toBe('CLUSTERS_UNAVAILABLE');
    expect(body.detail).toMatch(noKubeconfig);
    expect(body.detail).toMatch(sandboxPointer);
    const openapi = (await (await page.request.get('/api/v1/openapi.json')).json()) as { paths: Record<string, { get?: { responses: Record<string, unknown> } }> };
    expect(JSON.stringify(openapi.paths['/api/v1/clusters']!.get!.responses['503'])).toContain('"code":{"type":"string","enum":["CLUSTERS_UNAVAILABLE"]}');

    const note = page.getByTestId('no-cluster');
    await note.waitFor();
    expect(await note.textContent()).toMatch(noKubeconfig);
    expect(await note.textContent()).toMatch(/npm run sandbox/);
    expect(await page.getByText('Internal server error').count()).toBe(0);
    // no "New conversation on" with nothing after it
    expect(await page.getByText('New conversation on').count()).toBe(0);
    // the composer says why nothing can run, not "Ready."
    const composer = page.getByRole('textbox', { name: 'Message' });
    expect(await composer.getAttribute('placeholder')).toBe('No tool can run until a cluster is configured (see above).');
    await page.screenshot({ path: path.join(artifactsDir, 'first-run-no-kubeconfig.png') });

    // on a phone, the same page reads whole: the note, and the composer's reason (its placeholder wraps to two lines),
    // both when the window narrows under an open page (a phone turned upright) and when the page loads narrow
    await page.setViewportSize({ width: 390, height: 844 });
    // a frame drawn at the new width, as the user sees it
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    expect(await phoneProblems(page)).toEqual([]);
    await page.reload();
    await note.waitFor();
    expect(await phoneProblems(page)).toEqual([]);
    // the note's commands read as code, each on one line: the page had printed the backticks as they are and broken
    // "--kubeconfig" after its dashes
    expect(await note.textContent()).not.toContain('`');
    for (const command of ['--kubeconfig <file>', 'npm run sandbox', 'skyflo sandbox']) {
      const code = note.locator('code', { hasText: command });
      expect(await code.count(), command).toBe(1);
      expect(await code.evaluate((element) => element.getClientRects().length), command).toBe(1);
    }
    await page.screenshot({ path: path.join(artifactsDir, 'first-run-no-kubeconfig-phone.png') });
    await context.close();
  });
});
