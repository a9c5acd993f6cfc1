/**
 * The live run in real headless Chromium: Stop mid-stream, reload mid-run (re-attach without duplicated text),
 * messages typed during a run queued and sent after it, and "Approve all" over two gated calls (the cluster changes).
 * Also the dark theme, which follows the system setting.
 */
import path from 'node:path';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { startTcpRelay } from '@skyflo/testkit/tcp-relay';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { askInChat, artifactsDir, slowScript, startUiStack, type UiStack, registerAndSignIn, screenshotOnFailure } from './ui-stack.ts';

// A loaded 2-core machine (another suite running beside this one) can take far longer than an idle one.
vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;

beforeAll(async () => {
  stack = await startUiStack();
  await registerAndSignIn(stack);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

// Closing waits for the engine's runs and streams to settle, which a loaded machine can stretch to a minute.
afterAll(async () => {
  await stack?.close();
}, 180_000);

const ask = (question: string) => askInChat(stack.page, question);

const timeline = () => stack.page.getByTestId('timeline');
const runStatus = () => stack.page.getByTestId('run-status');

describe('live run', () => {
  it('Stop ends a streaming answer: the status says stopped and the rest never arrives', async () => {
    const { page } = stack;
    stack.llm.reset(slowScript(400, 15));
    await ask('Write a very long answer');
    await timeline().getByText('line 3', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Stop the run' }).click();
    await runStatus().getByText('Stopped').waitFor();
    await page.getByRole('button', { name: 'Stop the run' }).waitFor({ state: 'detached' });
    expect(await timeline().getByText('line 399', { exact: true }).count()).toBe(0);
    await stack.screenshot('20-stopped');
  });

  it('reloading mid-run re-attaches to the live run and shows every line exactly once', async () => {
    const { page } = stack;
    stack.llm.reset(slowScript(60, 25));
    await ask('Stream sixty lines');
    await timeline().getByText('line 4', { exact: true }).waitFor();
    await page.reload();
    await timeline().getByText('line 59', { exact: true }).waitFor({ timeout: 60_000 });
    await runStatus().getByText('Working…').waitFor({ state: 'detached' });
    for (const line of ['line 0', 'line 4', 'line 30', 'line 59']) expect(await timeline().getByText(line, { exact: true }).count(), line).toBe(1);
    expect(await timeline().getByTestId('user-message').count()).toBe(1);
    await stack.screenshot('21-reloaded-mid-run');
  });

  it('a dropped connection mid-stream reconnects (Last-Event-ID) and no token is shown twice', async () => {
    // the browser talks to the engine through a TCP relay that can cut every open connection at once
    const relay = await startTcpRelay(new URL(stack.url));
    const context = await stack.browser.newContext({ baseURL: relay.url, viewport: { width: 1366, height: 860 }, storageState: await stack.context.storageState() });
    try {
      const page = await context.newPage();
      const reattached: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/agent/runs/')) reattached.push(request.headers()['last-event-id'] ?? '');
      });
      stack.llm.reset(slowScript(60, 25));
      await page.goto('/');
      await page.getByRole('textbox', { name: 'Message' }).fill('Stream sixty lines again');
      await page.keyboard.press('Enter');
      const lines = page.getByTestId('timeline');
      await lines.getByText('line 4', { exact: true }).waitFor();
      relay.dropAll();
      await lines.getByText('line 59', { exact: true }).waitFor({ timeout: 60_000 });
      await page.getByTestId('run-status').getByText('Working…').waitFor({ state: 'detached' });
      expect(reattached.length).toBeGreaterThan(0);
      expect(Number(reattached[0])).toBeGreaterThan(0);
      for (const line of ['line 0', 'line 4', 'line 5', 'line 30', 'line 59']) expect(await lines.getByText(line, { exact: true }).count(), line).toBe(1);
      expect(await page.getByRole('alert').count()).toBe(0);
    } finally {
      await context.close();
      await relay.close();
    }
  });

  it('a message typed during a run is queued ("1 queued"), can be removed, and is sent when the run ends', async () => {
    const { page } = stack;
    stack.llm.reset(slowScript(40, 25));
    await ask('First question');
    await timeline().getByText('line 2', { exact: true }).waitFor();
    const input = page.getByRole('textbox', { name: 'Message' });
    await input.fill('Dropped question');
    await page.keyboard.press('Enter');
    await input.fill('Second question');
    await page.keyboard.press('Enter');
    const queue = page.getByTestId('queue');
    await queue.getByText('2 queued').waitFor();
    await stack.screenshot('22-queue');
    await page.getByRole('button', { name: 'Remove from queue: Dropped question' }).click();
    await queue.getByText('1 queued').waitFor();
    // the first run ends, then the queued message goes out on its own
    await timeline().getByTestId('user-message').filter({ hasText: 'Second question' }).waitFor({ timeout: 60_000 });
    await queue.waitFor({ state: 'detached' });
    await runStatus().getByText('Working…').waitFor({ state: 'detached', timeout: 60_000 });
    expect(await timeline().getByTestId('user-message').allTextContents()).toEqual(['First question', 'Second question']);
    expect(await timeline().getByText('line 39', { exact: true }).count()).toBe(2);
  });

  it('"Approve all" decides two gated calls one after the other and both change the cluster', async () => {
    const { page } = stack;
    const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-ui-api-'));
    writeFileSync(
      path.join(dir, 'api.yaml'),
      deploymentYaml('api', 1),
    );
    await stack.kubectl('apply', '-f', path.join(dir, 'api.yaml'));
    stack.llm.reset({
      rules: [
        { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        {
          match: { toolName: 'load_toolset' },
          reply: {
            toolCalls: [
              { name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'default', dry_run: false } },
              { name: 'k8s_scale', arguments: { name: 'api', resource_type: 'deployment', replicas: 4, namespace: 'default', dry_run: false } },
            ],
          },
        },
        { match: { toolName: 'k8s_scale' }, reply: 'Both deployments are scaled.' },
      ],
    });
    await ask('Scale web to 3 and api to 4');
    const bar = page.getByTestId('batch-bar');
    await bar.getByText('2 approvals pending').waitFor();
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('23-batch-approvals');
    await bar.getByRole('button', { name: 'Approve all' }).click();
    await timeline().getByText('Both deployments are scaled.').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="completed"]').count()).toBe(2);
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
    expect(await stack.kubectl('get', 'deployment', 'api', '-o', 'jsonpath={.spec.replicas}')).toBe('4');

    // the same conversation in the dark theme (the system setting), readable and still accessible
    const dark = await stack.browser.newContext({ baseURL: stack.url, viewport: { width: 1366, height: 860 }, colorScheme: 'dark', storageState: await stack.context.storageState() });
    const darkPage = await dark.newPage();
    await darkPage.goto(page.url());
    await darkPage.getByTestId('timeline').getByText('Both deployments are scaled.').waitFor();
    expect(await darkPage.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(11, 15, 23)');
    await darkPage.screenshot({ path: path.join(artifactsDir, '24-dark-theme.png') });
    await dark.close();
  });
});
