/**
 * The approver workflow (APPROVAL_POLICY=approver, APPROVAL_FOUR_EYES) in real headless Chromium against a real
 * engine, with each person in their own browser context: a member's change waits for an approver (no buttons in the
 * member's chat), the admin approves it from Pending approvals (the cluster changes, the call leaves the queue), and
 * the member's open chat shows the decision and the run's answer without a reload; a denial with a reason, typed
 * and sent from the keyboard; four-eyes keeps the admin from approving their own destructive change, which a user
 * with the approver role then approves from their queue.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { askInChat, ADMIN, artifactsDir, registerAndSignIn, scaleScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

// A loaded 2-core machine (another suite running beside this one) can take far longer than an idle one.
vi.setConfig({ testTimeout: 180_000 });

const MEMBER = { email: 'grace@example.com', password: 'another-long-password', name: 'Grace Hopper' };
const APPROVER = { email: 'linus@example.com', password: 'a-third-long-password', name: 'Linus Approver' };

let stack: UiStack;
/** the member's own browser (cookies of their session only) */
let memberContext: BrowserContext;
let member: Page;

async function signedInPage(browser: Browser, url: string, who: { email: string; password: string }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1366, height: 860 }, colorScheme: 'light' });
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /What should we look at/ }).waitFor();
  return { context, page };
}

async function addUser(user: { email: string; password: string; name: string }, role: 'member' | 'approver'): Promise<void> {
  const added = await stack.page.request.post('/api/v1/team/members', { data: { ...user, role } });
  expect(added.status()).toBe(201);
}

const ask = askInChat;

const replicas = () => stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}');
const shot = (page: Page, name: string) => page.screenshot({ path: `${artifactsDir}/${name}.png` });

/** Marks the page's JavaScript realm; a reload or navigation away loses the mark. */
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __notReloaded?: boolean }).__notReloaded = true));
const stillMarked = (page: Page) => page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded === true);

beforeAll(async () => {
  stack = await startUiStack({ env: { APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true' } });
  await registerAndSignIn(stack);
  await addUser(MEMBER, 'member');
  ({ context: memberContext, page: member } = await signedInPage(stack.browser, stack.url, MEMBER));
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

// Closing waits for the engine's runs and streams to settle, which a loaded machine can stretch to a minute.
afterAll(async () => {
  await memberContext?.close().catch(() => {});
  await stack?.close();
}, 180_000);

describe('approver workflow', () => {
  it("a member's change waits for an approver; the admin approves it from the queue; the member's chat follows it", async () => {
    const { page } = stack;
    // the answer after the change comes slowly, so the member's page is seen following the run before it ends
    stack.llm.reset({ rules: [...scaleScript(3).rules.slice(0, 2), { match: { toolName: 'k8s_scale' }, reply: { text: 'web now has 3 replicas.', delayMs: 15_000 } }] });
    const chatPath = await ask(member, 'Scale web to 3 replicas');
    const card = member.getByTestId('approval-card');
    const waiting = card.getByTestId('approval-waiting');
    await waiting.getByText('Waiting for an approver').waitFor();
    // the engine's reason (GET /approvals/pending cannot_decide_reason), shown as is
    await waiting.getByText(/APPROVAL_POLICY=approver[^:]*: only users with the approver or admin role decide mutating calls/).waitFor();
    // the header does not ask the member for a decision they cannot make
    await member.getByTestId('run-status').getByText('Waiting for an approver').waitFor();
    expect(await card.getByRole('button', { name: /Approve|Deny/ }).count()).toBe(0);
    await card.getByTestId('diff-view').waitFor();
    expect(await card.getByLabel('Arguments').textContent()).toContain('"replicas": 3');
    expect(await replicas()).toBe('2');
    await mark(member);
    await shot(member, '40-member-waits-for-approver');

    await page.goto('/approvals');
    const item = page.getByTestId('pending-approval').filter({ hasText: 'k8s_scale' });
    await item.getByText(`requested by ${MEMBER.name} (${MEMBER.email})`).waitFor();
    // issue 37 item 7: the policy that decides this call, on the call; no page-wide "Policy:" a cluster policy could contradict
    expect(await item.getByTestId('effective-policy').textContent()).toMatch(/^Policy: approver \(APPROVAL_POLICY=approver\b.*\) · four-eyes for destructive calls$/);
    expect(await page.getByText(/^Policy:/).count()).toBe(await page.getByTestId('pending-approval').count());
    await item.getByTestId('diff-view').locator('[data-diff="add"]', { hasText: 'replicas: 3' }).waitFor();
    expect(await item.getByRole('link', { name: 'Open the conversation' }).getAttribute('href')).toBe(chatPath);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('41-queue-with-item');

    await item.getByRole('button', { name: /^Approve k8s_scale/ }).click();
    const outcome = page.getByTestId('decided-approval');
    await outcome.getByText(/Approved by you — the run continues in/).waitFor();
    expect(await outcome.getByRole('link').getAttribute('href')).toBe(chatPath);
    await expect.poll(replicas, { timeout: 60_000 }).toBe('3');
    await page.getByText('Nothing is waiting for a decision').waitFor();
    expect(await page.getByTestId('pending-approval').count()).toBe(0);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('42-queue-approved');

    // the member's page, left open, shows the decision, then the answer of the run it resumed
    await member.getByRole('status').getByText('An approver approved k8s_scale; the run goes on, and this page follows it.').waitFor();
    await member.locator('[data-testid="tool-card"][data-tool="k8s_scale"]:not([data-status="awaiting_approval"])').waitFor();
    expect(await member.getByTestId('approval-card').count()).toBe(0);
    await member.getByTestId('run-status').getByText('Working…').waitFor();
    await shot(member, '43-member-follows-run');
    await member.getByText('web now has 3 replicas.').waitFor();
    const done = member.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="completed"]');
    await done.waitFor();
    expect(await member.getByTestId('approval-card').count()).toBe(0);
    await done.getByRole('button').first().click();
    await done.getByText('Approved', { exact: true }).waitFor();
    expect(await stillMarked(member)).toBe(true);
    expect(new URL(member.url()).pathname).toBe(chatPath);
    await shot(member, '43-member-sees-answer');
  });

  it('a denial with a reason, typed and sent from the keyboard: the cluster stays, the member sees the denial and the answer', async () => {
    const { page } = stack;
    stack.llm.reset(scaleScript(1, 'Understood, web stays as it is.'));
    await ask(member, 'Scale web down to 1');
    await member.getByTestId('approval-waiting').getByText('Waiting for an approver').waitFor();
    await mark(member);

    await page.goto('/approvals');
    const item = page.getByTestId('pending-approval').filter({ hasText: '"replicas": 1' });
    const reason = item.getByLabel(/Reason for k8s_scale/);
    await reason.fill('change freeze until Monday');
    await page.keyboard.press('Tab');
    expect(await item.getByRole('button', { name: /^Deny k8s_scale/ }).evaluate((button) => button === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByTestId('decided-approval').filter({ hasText: 'Denied by you — the run continues in' }).waitFor();
    await page.getByText('Nothing is waiting for a decision').waitFor();

    await member.getByText('Understood, web stays as it is.').waitFor();
    const denied = member.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="denied"]');
    await denied.waitFor();
    await denied.getByRole('button').first().click();
    await denied.getByText(/change freeze until Monday/).first().waitFor();
    expect(await stillMarked(member)).toBe(true);
    expect(await replicas()).toBe('3');
    await shot(member, '44-member-sees-denial');
  });

  it('four-eyes: the admin cannot approve their own destructive change; a user with the approver role does, from their queue', async () => {
    const { page } = stack;
    // scaling to 0 is destructive (judged from the call), so four-eyes applies
    stack.llm.reset(scaleScript(0));
    const chatPath = await ask(page, 'Scale web to 0');
    const waiting = page.getByTestId('approval-card').getByTestId('approval-waiting');
    await waiting.getByText(/Four-eyes \(APPROVAL_FOUR_EYES\): this call is destructive, so someone other than the person who asked for it/).waitFor();
    await page.getByTestId('run-status').getByText('Waiting for an approver').waitFor();
    expect(await page.getByTestId('approval-card').getByRole('button', { name: /Approve/ }).count()).toBe(0);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('45-four-eyes-card');

    await addUser(APPROVER, 'approver');
    const { context, page: approver } = await signedInPage(stack.browser, stack.url, APPROVER);
    try {
      // the admin's own queue (a second tab: the chat stays open) says why there are no buttons
      const queue = await stack.context.newPage();
      try {
        await queue.goto('/approvals');
        const own = queue.getByTestId('pending-approval').filter({ hasText: '"replicas": 0' });
        await own.getByTestId('cannot-decide').getByText(/Four-eyes \(APPROVAL_FOUR_EYES\): this call is destructive/).waitFor();
        expect(await own.getByRole('button', { name: /Approve/ }).count()).toBe(0);
      } finally {
        await queue.close();
      }

      await approver.goto('/approvals');
      const item = approver.getByTestId('pending-approval').filter({ hasText: '"replicas": 0' });
      await item.getByText(`requested by ${ADMIN.name}`).waitFor();
      await item.getByRole('button', { name: /^Approve k8s_scale/ }).click();
      await approver.getByTestId('decided-approval').getByText(/Approved by you — the run continues in/).waitFor();
      await shot(approver, '46-approver-queue');
    } finally {
      await context.close();
    }
    await expect.poll(replicas, { timeout: 60_000 }).toBe('0');
    await page.getByText('web now has 0 replicas.').waitFor();
    expect(new URL(page.url()).pathname).toBe(chatPath);
    await page.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="completed"]').waitFor();
    await stack.screenshot('47-admin-sees-approval');
  });
});
