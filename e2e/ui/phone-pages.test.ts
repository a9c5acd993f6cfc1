/**
 * On call from a phone (issue 37 item 5): every page of the Command Center at 390×844, in light and dark, in headless
 * Chromium against a real engine (kube-sim, llm-sim). On each page nothing scrolls sideways, every control is on screen
 * and reached by a tap at its centre, every text is on screen, readable and not cut, and axe finds no serious
 * violation (contrast included). The phone screenshots go to packages/ui/docs/.
 */
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { repoRoot } from '@skyflo/testkit/tools';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { phoneProblems } from './phone-checks.ts';
import { ADMIN, readOnlyScript, registerAndSignIn, scaleScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 240_000 });

const docsDir = path.join(repoRoot, 'packages', 'ui', 'docs');
const phone = { width: 390, height: 844 };

let stack: UiStack;
let conversation: string;
let runbook: string;
const contexts: BrowserContext[] = [];

async function phonePage(colorScheme: 'light' | 'dark', signedIn: boolean, viewport = phone): Promise<Page> {
  const context = await stack.browser.newContext({
    baseURL: stack.url,
    viewport,
    isMobile: true,
    hasTouch: true,
    colorScheme,
    ...(signedIn ? { storageState: await stack.context.storageState() } : {}),
  });
  context.setDefaultTimeout(60_000);
  contexts.push(context);
  return context.newPage();
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.waitForFunction(() => document.getAnimations().every((animation) => !(animation instanceof CSSTransition)));
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${violation.id}: ${violation.nodes[0]?.target.join(' ')} — ${violation.help}`);
}

/** Each signed-in page, with what shows once it has loaded. */
const pages = (): Array<{ name: string; path: string; ready: (page: Page) => Promise<unknown> }> => [
  { name: 'home', path: '/', ready: (page) => page.getByRole('region', { name: /Waiting for your decision \(4\)/ }).waitFor() },
  { name: 'chat', path: conversation, ready: (page) => page.getByText('Only web runs in').waitFor() },
  { name: 'approvals', path: '/approvals', ready: (page) => page.getByTestId('pending-approval').nth(3).waitFor() },
  { name: 'integrations', path: '/integrations', ready: (page) => page.getByRole('region', { name: 'Add Slack' }).waitFor() },
  { name: 'audit', path: '/audit', ready: (page) => page.getByTestId('audit-table').getByRole('button').first().waitFor() },
  { name: 'analytics', path: '/analytics', ready: (page) => page.getByRole('heading', { name: 'Analytics' }).waitFor() },
  { name: 'settings-profile', path: '/settings/profile', ready: (page) => page.getByRole('region', { name: 'Profile' }).waitFor() },
  { name: 'settings-tokens', path: '/settings/tokens', ready: (page) => page.getByRole('region', { name: 'API tokens' }).waitFor() },
  { name: 'settings-team', path: '/settings/team', ready: (page) => page.getByRole('cell', { name: ADMIN.email }).waitFor() },
  { name: 'settings-model', path: '/settings/model', ready: (page) => page.getByText('Set by the environment').waitFor() },
  { name: 'settings-clusters', path: '/settings/clusters', ready: (page) => page.getByRole('region', { name: 'Clusters' }).waitFor() },
  { name: 'settings-server', path: '/settings/server', ready: (page) => page.getByRole('region', { name: 'Public address' }).waitFor() },
  // as the answer's "Runbook:" chip opens it: the section with that runbook open
  { name: 'settings-runbooks', path: `/settings/runbooks?runbook=${runbook}`, ready: (page) => page.getByTestId('runbook-view').getByText(/before restarting anything/).waitFor() },
];

beforeAll(async () => {
  stack = await startUiStack();
}, 240_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await stack?.close();
}, 180_000);

describe('the Command Center on a phone (390×844)', () => {
  it('first run and sign-in pages fit the phone', async () => {
    const page = await phonePage('light', false);
    await page.goto('/welcome');
    await page.getByRole('button', { name: /Create/ }).waitFor();
    expect(await phoneProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(docsDir, 'phone-welcome.png') });
    await registerAndSignIn(stack);
    await page.goto('/login');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await phoneProblems(page)).toEqual([]);
    // a conversation for the chat page
    stack.llm.reset(readOnlyScript);
    const { page: desktop } = stack;
    await desktop.getByRole('textbox', { name: 'Message' }).fill('Show me the deployments in default');
    await desktop.keyboard.press('Enter');
    await desktop.waitForURL(/\/chat\/[0-9a-f-]{36}$/);
    await desktop.getByText('Only web runs in').waitFor();
    conversation = new URL(desktop.url()).pathname;
    // a team runbook for the Runbooks section
    const uploaded = await stack.context.request.post('/api/v1/runbooks', { data: { name: 'crashloop', markdown: '---\nalerts: [KubePodCrashLooping]\n---\n# Pod crash looping\n\nRead the previous logs with `kubectl logs --previous` before restarting anything.\n' } });
    expect(uploaded.status()).toBe(201);
    runbook = encodeURIComponent(((await uploaded.json()) as { name: string }).name);
    // on call: changes waiting for a decision, listed on the home page (taller than the phone's screen) and in Pending approvals
    stack.llm.reset(scaleScript(3));
    for (let index = 1; index <= 4; index += 1) {
      const response = await stack.context.request.post('/api/v1/agent/chat', { data: { messages: [{ role: 'user', content: `Scale web to 3 replicas (${index})` }] }, timeout: 90_000 });
      expect(await response.text()).toContain('event: tool.awaiting_approval');
    }
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`every page in ${colorScheme}: nothing covered, cut or off screen, no sideways scrolling`, async () => {
      const page = await phonePage(colorScheme, true);
      const failures: Record<string, string[]> = {};
      for (const entry of pages()) {
        await page.goto(entry.path);
        await entry.ready(page);
        const problems = [...(await phoneProblems(page)), ...(await seriousViolations(page))];
        if (problems.length > 0) failures[entry.name] = problems;
        await page.evaluate(() => document.querySelectorAll('*').forEach((element) => element.scrollTop > 0 && element.scrollTo(0, 0)));
        await page.screenshot({ path: path.join(docsDir, `phone-${entry.name}-${colorScheme}.png`) });
      }
      expect(failures).toEqual({});
    });
  }

  it('the top bar opens the sidebar, whose links are all reachable, and a page link closes it', async () => {
    const page = await phonePage('dark', true);
    await page.goto('/');
    await page.getByRole('region', { name: /Waiting for your decision \(4\)/ }).waitFor();
    // a tap, not a forced click: the button must be what the finger reaches
    await page.getByRole('button', { name: 'Open the sidebar' }).tap();
    const sidebar = page.getByRole('complementary', { name: 'Sidebar' });
    await sidebar.getByRole('link', { name: 'Settings' }).waitFor();
    // the page behind the open drawer is meant to be covered: the drawer itself is checked
    expect(await phoneProblems(page, 'aside[aria-label="Sidebar"]')).toEqual([]);
    await page.screenshot({ path: path.join(docsDir, 'phone-sidebar-dark.png') });
    await sidebar.getByRole('link', { name: 'Integrations' }).tap();
    await page.waitForURL('**/integrations');
    await sidebar.waitFor({ state: 'hidden' });
  });

  it('home on a phone turned sideways (844×390): the page scrolls under the top bar, which stays tappable', async () => {
    const page = await phonePage('light', true, { width: phone.height, height: phone.width });
    await page.goto('/');
    await page.getByTestId('cluster-switcher').waitFor();
    expect(await phoneProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Open the sidebar' }).tap();
    await page.getByRole('complementary', { name: 'Sidebar' }).getByRole('link', { name: 'Settings' }).waitFor();
  });

  it('in chat the cluster switcher shows the whole cluster and namespace', async () => {
    const page = await phonePage('light', true);
    await page.goto(conversation);
    await page.getByText('Only web runs in').waitFor();
    const switcher = page.getByTestId('cluster-switcher');
    const cluster = await switcher.getAttribute('data-cluster');
    expect(await switcher.getByTestId('header-cluster').evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
    expect(await switcher.getByTestId('header-cluster').textContent()).toBe(cluster);
    expect(await switcher.getByTestId('header-namespace').evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
    expect((await switcher.getByTestId('header-namespace').textContent())?.trim()).toBe('· ns default');
  });
});
