/**
 * Clusters in the Command Center (issue 22), in Chromium against a real engine on two kube-sims behind one kubeconfig
 * (contexts `staging`, the current one, and `prod-eu`, labelled prod with SKYFLO_CLUSTER_LABELS): the home page's
 * health strip, a conversation started on prod-eu from the cluster picker (its header names the cluster, its approval
 * card says "prod-eu · namespace payments" in large type, and the scale lands in prod-eu only), the header's switcher,
 * Settings → Clusters and a member's scope, and a stopped cluster shown unreachable with why. Cluster state is read
 * with the real kubectl; screenshots of the header, the card and the health strip go to packages/ui/docs/.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, loadConfig, type Engine } from '@skyflo/engine';
import type { KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { repoRoot } from '@skyflo/testkit/tools';
import { startTwoClusters, type TwoClusters } from '@skyflo/testkit/two-clusters';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, artifactsDir, chromiumArgs, registerAndSignIn, screenshotOnFailure, sharedUiBuild, type UiStack } from './ui-stack.ts';

const docsDir = path.join(repoRoot, 'packages', 'ui', 'docs');

let dir: string;
let clusters: TwoClusters;
let staging: KubeSim;
let prod: KubeSim;
let llm: LlmSim;
let engine: Engine;
let url: string;
let browser: Browser;
let page: Page;
let stack: UiStack;

async function adminApi(method: string, pathname: string, body?: unknown): Promise<any> {
  const login = await fetch(`${url}/api/v1/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: ADMIN.email, password: ADMIN.password }) });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const response = await fetch(`${url}/api/v1${pathname}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${pathname}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** axe-core's serious and critical findings on the page as it is (the cluster parts must not add any) */
async function seriousA11yViolations(): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${violation.id}: ${violation.nodes[0]?.target.join(' ')} — ${violation.help}`);
}

async function saveDocScreenshot(locator: ReturnType<Page['locator']>, name: string): Promise<void> {
  mkdirSync(docsDir, { recursive: true });
  await locator.screenshot({ path: path.join(docsDir, `${name}.png`) });
  await locator.screenshot({ path: path.join(artifactsDir, `${name}.png`) });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'skyflo-ui-clusters-'));
  let uiDir: string;
  [clusters, llm, uiDir] = await Promise.all([startTwoClusters(dir, { startDelayMs: 20, readinessDelayMs: 50 }), startLlmSim({ port: 0 }), sharedUiBuild(path.join(dir, 'ui-dist'))]);
  ({ staging, prod } = clusters);
  engine = await createEngine(
    loadConfig({ PORT: '0', SKYFLO_DATA_DIR: path.join(dir, 'data'), LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: llm.url, LLM_RETRY_BASE_DELAY_MS: '10', KUBECONFIG: clusters.kubeconfig, SKYFLO_CLUSTER_LABELS: 'prod-eu=prod,staging=staging', TITLE_GENERATION_ENABLED: 'false', UI_DIST_DIR: uiDir, LOG_LEVEL: 'silent' }),
    { logger: false },
  );
  url = await engine.listen();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: chromiumArgs });
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1366, height: 860 }, colorScheme: 'light' });
  context.setDefaultTimeout(90_000);
  page = await context.newPage();
  mkdirSync(artifactsDir, { recursive: true });
  stack = { url, page, screenshot: async (name: string) => page.screenshot({ path: path.join(artifactsDir, `${name}.png`) }).then(() => name) } as unknown as UiStack;
  await registerAndSignIn(stack);
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await engine?.close();
  await llm?.close();
  await staging?.close().catch(() => {});
  await prod?.close();
});

beforeEach(screenshotOnFailure(() => stack));

describe('clusters in the Command Center', () => {
  it('the home page lists both clusters as reachable, prod-eu with its PROD label', async () => {
    await page.goto('/');
    const strip = page.getByTestId('health-strip');
    await strip.getByTestId('health-strip-cluster').nth(1).waitFor();
    const items = strip.getByTestId('health-strip-cluster');
    expect(await items.evaluateAll((nodes) => nodes.map((node) => `${node.getAttribute('data-cluster')}:${node.getAttribute('data-reachable')}`).sort())).toEqual(['prod-eu:true', 'staging:true']);
    await expect.poll(() => strip.locator('[data-cluster="prod-eu"]').getByTestId('cluster-label').textContent()).toBe('PROD');
    expect(await strip.locator('[data-cluster="staging"]').textContent()).toContain('(default)');
    expect(await seriousA11yViolations()).toEqual([]);
  });

  it('a conversation started on prod-eu names it in the header and, in large type, on the approval card; the scale lands in prod-eu only', async () => {
    llm.reset({
      rules: [
        { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 4, namespace: 'payments' } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'web in payments now has 4 replicas.' },
      ],
    });
    await page.goto('/');
    // the picker above the composer: the new conversation will be pinned to the cluster chosen here
    await page.getByTestId('new-conversation-cluster').getByTestId('cluster-switcher').click();
    await page.getByRole('menuitem', { name: /prod-eu/ }).click();
    await page.waitForURL(/\?cluster=prod-eu$/);
    await expect.poll(() => page.getByTestId('new-conversation-cluster').textContent()).toMatch(/New conversation pinned to\s*prod-eu/);
    await page.getByRole('textbox', { name: 'Message' }).fill('scale web in payments to 4');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/chat\/[0-9a-f-]{36}$/);

    const header = page.locator('header').filter({ has: page.getByTestId('conversation-title') });
    await expect.poll(() => header.getByTestId('header-cluster').textContent()).toBe('prod-eu');
    expect(await header.getByTestId('header-namespace').textContent()).toContain('ns default');
    expect(await header.getByTestId('cluster-label').textContent()).toBe('PROD');

    const card = page.getByTestId('approval-card');
    const headline = card.getByTestId('approval-cluster-headline');
    await expect.poll(() => headline.textContent()).toBe('prod-eu · namespace payments');
    expect(await card.getByTestId('approval-cluster').getByTestId('cluster-label').textContent()).toBe('PROD');
    expect(await card.getByTestId('approval-cluster').textContent()).toContain(prod.url);
    // large type: bigger than the card's title, which is bigger than body text
    const size = (selector: ReturnType<Page['locator']>) => selector.evaluate((node) => parseFloat(getComputedStyle(node).fontSize));
    expect(await size(headline)).toBeGreaterThanOrEqual(24);
    expect(await size(headline)).toBeGreaterThan(await size(card.locator('h3').first()));
    expect(await seriousA11yViolations()).toEqual([]);
    await saveDocScreenshot(header, 'cluster-header');
    // the whole card in one picture: a viewport tall enough that the composer does not cover it
    await page.setViewportSize({ width: 1366, height: 1500 });
    await card.scrollIntoViewIfNeeded();
    await saveDocScreenshot(card, 'approval-card-cluster');
    // On a phone the decision bar, at the foot of the screen with Approve in it, says what and where too: the card's
    // cluster line has scrolled away by the time the thumb reaches Approve.
    await page.setViewportSize({ width: 390, height: 844 });
    const approve = card.getByRole('button', { name: /^Approve/ });
    await approve.scrollIntoViewIfNeeded();
    const target = card.getByTestId('approval-target');
    expect(await target.textContent()).toBe('Deciding k8s_scale on prod-eu · namespace payments PROD');
    const onScreen = await target.evaluate((node) => {
      const box = node.getBoundingClientRect();
      return box.top >= 0 && box.bottom <= window.innerHeight && document.elementFromPoint(box.left + 4, box.top + box.height / 2) !== null && node.contains(document.elementFromPoint(box.left + 4, box.top + box.height / 2));
    });
    expect(onScreen).toBe(true);
    await page.setViewportSize({ width: 1366, height: 860 });

    await approve.click();
    await page.getByText('web in payments now has 4 replicas.').waitFor();
    expect(await clusters.replicas('prod-eu')).toBe('4');
    expect(await clusters.replicas('staging')).toBe('2');
    // the executed call's card keeps naming its cluster
    const scaled = page.locator('[data-testid="tool-card"][data-tool="k8s_scale"]');
    expect(await scaled.getByTestId('tool-card-cluster').textContent()).toBe('prod-eu');
  });

  it("the header's switcher starts a new conversation on another cluster", async () => {
    const header = page.locator('header').filter({ has: page.getByTestId('conversation-title') });
    await header.getByTestId('cluster-switcher').click();
    await page.getByRole('menuitem', { name: /staging/ }).click();
    await page.waitForURL(/\/\?cluster=staging$/);
    await expect.poll(() => page.getByTestId('new-conversation-cluster').getByTestId('header-cluster').textContent()).toBe('staging');
  });

  it('Settings → Clusters sets a policy per cluster and namespace pattern; the team table edits a member scope', async () => {
    const member = await adminApi('POST', '/team/members', { email: 'grace@example.com', password: 'correct-horse-battery', role: 'member' });
    await page.goto('/settings/clusters');
    const row = page.locator('[data-testid="cluster-policy"][data-cluster="prod-eu"]');
    await row.getByRole('combobox', { name: 'Policy for writes on prod-eu' }).selectOption('four_eyes');
    await row.getByRole('button', { name: 'Namespace pattern' }).click();
    await row.getByRole('textbox', { name: 'Namespace pattern 1 on prod-eu' }).fill('kube-*');
    await row.getByRole('combobox', { name: 'Policy for namespace pattern 1 on prod-eu' }).selectOption('read_only');
    await row.getByRole('button', { name: 'Save prod-eu' }).click();
    await page.getByText('Saved.').waitFor();
    expect(await seriousA11yViolations()).toEqual([]);
    expect((await adminApi('GET', '/clusters/policies')).policies).toEqual([
      { cluster: 'prod-eu', mode: 'four_eyes' },
      { cluster: 'prod-eu', namespace_pattern: 'kube-*', mode: 'read_only' },
    ]);

    await page.goto('/settings/team');
    const memberRow = page.getByTestId('team-table').locator('tr', { hasText: 'grace@example.com' });
    await memberRow.getByRole('button', { name: 'Edit scope' }).click();
    await memberRow.getByRole('checkbox', { name: 'staging' }).check();
    await memberRow.getByRole('textbox', { name: 'Namespaces' }).fill('payments, shop-*');
    await memberRow.getByRole('button', { name: 'Save scope' }).click();
    await expect.poll(() => memberRow.getByTestId('member-scope').textContent()).toBe('staging · payments, shop-*');
    const members = (await adminApi('GET', '/team/members')) as Array<{ id: string; scope?: unknown }>;
    expect(members.find((entry) => entry.id === member.id)?.scope).toEqual({ clusters: ['staging'], namespaces: ['payments', 'shop-*'] });
  });

  it('a stopped cluster shows as unreachable on the home page, with why, while the other stays reachable', async () => {
    await staging.close();
    await vi.waitFor(
      async () => {
        await page.goto('/');
        const down = page.locator('[data-testid="health-strip-cluster"][data-cluster="staging"]');
        await down.waitFor({ timeout: 10_000 });
        expect(await down.getAttribute('data-reachable')).toBe('false');
      },
      { timeout: 60_000, interval: 1_000 },
    );
    const strip = page.getByTestId('health-strip');
    const detail = await strip.locator('[data-cluster="staging"]').getByTestId('health-strip-detail').textContent();
    // why: the engine's words, naming the cluster or its address (not a bare "unreachable")
    expect(detail).toMatch(/^Unreachable: .{10,}/);
    expect(detail).toMatch(/staging|127\.0\.0\.1|ECONNREFUSED|connect/i);
    expect(await strip.locator('[data-cluster="prod-eu"]').getAttribute('data-reachable')).toBe('true');
    expect(await strip.getByRole('heading').textContent()).toContain('1 unreachable');
    expect(await seriousA11yViolations()).toEqual([]);
    await saveDocScreenshot(strip, 'cluster-health-strip');
  });
});
