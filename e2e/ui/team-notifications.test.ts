/**
 * Team notifications in the Command Center (issue 24), in headless Chromium against a real engine (kube-sim,
 * llm-sim): with APPROVAL_POLICY=approver, a member's change makes the admin's open page — not reloaded — show the
 * count on "Pending approvals", "(1) Skyflo" in the tab title, the call in the home page's "Waiting for your decision"
 * list, and (opted in) a browser notification; the decision clears them. Settings → API tokens creates a token that
 * is shown once and works with the API. Screenshots go to packages/ui/docs/.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { approveOnCard, askInChat, registerAndSignIn, scaleScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

const MEMBER = { email: 'grace@example.com', password: 'another-long-password', name: 'Grace Hopper' };
const docsDir = path.join(repoRoot, 'packages', 'ui', 'docs');

let stack: UiStack;
let memberContext: BrowserContext;
let member: Page;
/** a webhook receiver on loopback: what the team's webhook integration posts to */
let receiver: Server;
const hooks: string[] = [];
/** the webhook integration's id (its deliveries are read through the API) */
let hookId: string;

beforeAll(async () => {
  stack = await startUiStack({ env: { APPROVAL_POLICY: 'approver' } });
  // Records what the page shows as browser notifications (headless Chromium draws none on screen).
  await stack.context.addInitScript(() => {
    const shown: Array<{ title: string; body?: string }> = [];
    (window as unknown as { __shownNotifications: typeof shown }).__shownNotifications = shown;
    const Real = window.Notification;
    class Recording extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, ...(options?.body ? { body: options.body } : {}) });
      }
    }
    Object.defineProperty(window, 'Notification', { value: Recording, configurable: true, writable: true });
  });
  await stack.context.grantPermissions(['notifications'], { origin: stack.url });
  await registerAndSignIn(stack);
  const added = await stack.page.request.post('/api/v1/team/members', { data: { ...MEMBER, role: 'member' } });
  expect(added.status()).toBe(201);
  receiver = createServer((request, response) => {
    hooks.push(String(request.headers['x-skyflo-event']));
    request.resume().on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = await stack.page.request.post('/api/v1/integrations', {
    data: { provider: 'webhook', name: 'ops pager', metadata: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/skyflo`, events: ['approval.requested', 'approval.decided'] }, credentials: { secret: 'pager-signing-secret-0123' } },
  });
  expect(hook.status()).toBe(201);
  hookId = ((await hook.json()) as { id: string }).id;
  memberContext = await stack.browser.newContext({ baseURL: stack.url, viewport: { width: 1366, height: 860 }, colorScheme: 'light' });
  memberContext.setDefaultTimeout(90_000);
  member = await memberContext.newPage();
  await member.goto('/login');
  await member.getByLabel('Email').fill(MEMBER.email);
  await member.getByLabel('Password').fill(MEMBER.password);
  await member.getByRole('button', { name: 'Sign in' }).click();
  await member.getByRole('heading', { name: /What should we look at/ }).waitFor();
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await memberContext?.close().catch(() => {});
  await stack?.close();
  await new Promise((resolve) => receiver?.close(resolve));
}, 180_000);

const shown = (page: Page) => page.evaluate(() => (window as unknown as { __shownNotifications: Array<{ title: string; body?: string }> }).__shownNotifications);

describe('team notifications', () => {
  it("a member's change shows up live on the admin's page: count, tab title, home list, browser notification; the decision clears them", async () => {
    const { page } = stack;
    await page.goto('/');
    await page.getByRole('button', { name: 'Notify me of approvals' }).click();
    await page.getByRole('button', { name: 'Desktop notifications on' }).waitFor();
    expect(await page.title()).toBe('Skyflo');
    expect(await page.getByTestId('pending-count').count()).toBe(0);
    // the page is never reloaded below: what changes comes through the notification stream
    await page.evaluate(() => ((window as unknown as { __notReloaded?: boolean }).__notReloaded = true));

    stack.llm.reset(scaleScript(4));
    await askInChat(member, 'Scale web to 4 replicas');
    await member.getByTestId('approval-card').getByText('Waiting for an approver').waitFor();

    const count = page.getByTestId('pending-count');
    await count.waitFor();
    expect(await count.textContent()).toBe('1');
    await expect.poll(() => page.title()).toBe('(1) Skyflo');
    const waiting = page.getByRole('region', { name: /Waiting for your decision/ });
    await waiting.getByText('Waiting for your decision (1)').waitFor();
    await waiting.getByRole('link', { name: 'Changes the cluster: scales deployment default/web to 4 replicas' }).waitFor();
    await waiting.getByText(`asked by ${MEMBER.email}`).waitFor();
    await expect.poll(() => shown(page)).toEqual([{ title: 'Skyflo: a change waits for your decision', body: expect.stringContaining('Changes the cluster: scales deployment default/web to 4 replicas') }]);
    expect(await page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded)).toBe(true);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await page.screenshot({ path: path.join(docsDir, 'team-notifications-pending-count.png') });

    // deciding from the list's link: the chat's card, then the count and the title clear
    await waiting.getByRole('link', { name: /scales deployment default\/web to 4 replicas/ }).click();
    const approvalCard = page.getByTestId('approval-card');
    await approveOnCard(approvalCard);
    // the decision reached the engine: the card gives way to the call's progress
    await expect.poll(() => approvalCard.count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'), { timeout: 60_000 }).toBe('4');
    await expect.poll(() => page.title()).toBe('Skyflo');
    expect(await page.getByTestId('pending-count').count()).toBe(0);
    expect(await shown(page)).toHaveLength(1);

    // the webhook got both events; its page lists the deliveries
    // The receiver sees a delivery before the engine records its answer, and the card reads the deliveries once when
    // it opens: wait (through the API, for as long as a loaded machine needs) until both are recorded as delivered,
    // then open the page, which may itself take more than the default second to load and draw them.
    await expect.poll(() => hooks, { timeout: 60_000 }).toEqual(['approval.requested', 'approval.decided']);
    const recorded = async () => ((await (await page.request.get(`/api/v1/integrations/${hookId}/deliveries`)).json()) as { data: Array<{ event: string; status: string }> }).data.map((delivery) => `${delivery.event} ${delivery.status}`);
    await expect.poll(recorded, { timeout: 60_000 }).toEqual(['approval.decided delivered', 'approval.requested delivered']);
    await page.goto('/integrations');
    const card = page.getByRole('listitem', { name: 'Webhook ops pager' });
    await expect.poll(() => card.getByTestId('webhook-delivery').allTextContents(), { timeout: 60_000 }).toEqual([expect.stringMatching(/^approval\.decideddelivered1204/), expect.stringMatching(/^approval\.requesteddelivered1204/)]);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await card.screenshot({ path: path.join(docsDir, 'integrations-webhook-deliveries.png') });
    // a limit above the 60 s its waits may each take on a loaded two-core machine (the default is 60 s in all)
  }, 180_000);

  it('Settings → API tokens: a token is shown once, works with its scope, and is listed with its last use', async () => {
    const { page } = stack;
    await page.goto('/settings/tokens');
    const section = page.getByRole('region', { name: 'API tokens' });
    await section.getByLabel('Name').fill('alertmanager');
    await section.getByRole('checkbox', { name: /approvals:read/ }).check();
    await section.getByRole('button', { name: 'Create token' }).click();
    const token = (await section.getByTestId('new-api-token').textContent())!.trim();
    expect(token).toMatch(/^sky_/);
    const pending = await fetch(`${stack.url}/api/v1/approvals/pending`, { headers: { authorization: `Bearer ${token}` } });
    expect(pending.status).toBe(200);
    await page.reload();
    const row = page.getByRole('region', { name: 'API tokens' }).getByRole('row').filter({ hasText: 'alertmanager' });
    await row.waitFor();
    expect(await row.textContent()).toContain('chat, approvals:read');
    expect(await row.textContent()).not.toContain('never');
    expect(await page.content()).not.toContain(token);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await page.getByRole('region', { name: 'API tokens' }).screenshot({ path: path.join(docsDir, 'settings-api-tokens.png') });
  });
});
