/**
 * Issue 23 ("the first hour") items 12-14 in real headless Chromium against the real engine: the audit page names
 * people and conversations and shows the approved diff on the approval record itself, offers the actions it knows,
 * fits a phone, and shows a member only that it is for admins; analytics draws the latency of a single bucket,
 * straight segments between buckets and a $0 cost axis; a signed-out visit reaches the login page without a 401.
 */
import { auditListResponseSchema } from '@skyflo/protocol';
import type { ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, approveOnCard, artifactsDir, askInChat, registerAndSignIn, scaleScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;
let conversationPath: string;
const TITLE = 'Scale web for the launch';
const MEMBER = { email: 'grace@example.com', password: 'another-long-password' };

beforeAll(async () => {
  stack = await startUiStack();
  await registerAndSignIn(stack);
  const added = await stack.page.request.post('/api/v1/team/members', { data: { ...MEMBER, role: 'member' } });
  expect(added.status()).toBe(201);
}, 180_000);
beforeEach(screenshotOnFailure(() => stack));
afterAll(async () => {
  await stack?.close();
}, 180_000);

/** A signed-in page in a context of its own (own cookies), at the given viewport. */
async function signedIn(credentials: { email: string; password: string }, viewport = { width: 1366, height: 860 }): Promise<Page> {
  const context = await stack.browser.newContext({ baseURL: stack.url, viewport });
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(credentials.email);
  await page.getByLabel('Password').fill(credentials.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return page;
}

describe('the first hour: audit, analytics, signed-out visits', () => {
  it('a signed-out visit goes to the login page without a single 401 (in the console or on the wire)', async () => {
    const context = await stack.browser.newContext({ baseURL: stack.url });
    try {
      const page = await context.newPage();
      const consoleErrors: string[] = [];
      const unauthorized: string[] = [];
      page.on('console', (message: ConsoleMessage) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('response', (response) => {
        if (response.status() === 401) unauthorized.push(response.url());
      });
      await page.goto('/audit');
      await page.waitForURL('**/login?next=%2Faudit');
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      expect(unauthorized).toEqual([]);
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('an approved change, then a title for its conversation (what the audit page will name)', async () => {
    const { page, llm } = stack;
    llm.reset(scaleScript(3));
    conversationPath = await askInChat(page, 'Scale web to 3');
    const card = page.getByTestId('approval-card');
    await approveOnCard(card);
    await page.getByText('web now has 3 replicas.').waitFor();
    const renamed = await page.request.patch(`/api/v1${conversationPath.replace('/chat/', '/conversations/')}`, { data: { title: TITLE } });
    expect(renamed.status()).toBe(200);
  });

  it('audit: the Action filter offers the real actions; the approval record names who and where, links the conversation and shows the diff', async () => {
    const { page } = stack;
    await page.goto('/audit');
    const form = page.getByRole('form', { name: 'Filter audit records' });
    const action = form.getByLabel('Action');
    // the placeholder is an action that exists, and the suggestions are the engine's actions
    expect(await action.getAttribute('placeholder')).toBe('approval.approved');
    const offered = await page.getByTestId('audit-actions').locator('option').evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
    expect(offered).toEqual(expect.arrayContaining(['approval.approved', 'approval.denied', 'tool.proposed', 'auth.login', 'auth.*']));
    expect(offered).not.toContain('tool.approved');

    await action.fill('approval.approved');
    await form.getByRole('button', { name: 'Filter' }).click();
    const table = page.getByTestId('audit-table');
    await table.getByRole('button', { name: 'approval.approved' }).first().click();
    const record = page.getByRole('complementary', { name: 'Audit record' });
    // who: the admin's email, not a user id (named again as who asked, and in the details, issue 37 item 11)
    await record.getByTestId('audit-record-summary').getByText(ADMIN.email).first().waitFor();
    // where: the conversation by its title, linked
    const link = record.getByRole('link', { name: TITLE });
    expect(await link.getAttribute('href')).toBe(conversationPath);
    // what: the diff the admin approved, on the approval record itself
    await record.getByTestId('diff-view').locator('[data-diff="add"]', { hasText: 'replicas: 3' }).waitFor();
    // hashes are shortened (the whole value on hover), the JSON wraps inside the panel
    const listed = auditListResponseSchema.parse(await (await page.request.get('/api/v1/audit?action=approval.approved')).json());
    const approval = listed.data[0]!;
    expect(approval.approved_diff).toContain('replicas: 3');
    expect(approval.conversation_title).toBe(TITLE);
    await record.getByText(`hash ${approval.hash!.slice(0, 12)}…`).waitFor();
    // the summary names people and places; ids and full hashes stay in the raw details below it
    const summary = record.getByTestId('audit-record-summary');
    expect(await summary.textContent()).not.toContain(approval.hash!);
    expect(await summary.textContent()).not.toContain(approval.actor_id!);
    expect(await summary.textContent()).not.toContain(approval.details['conversation_id'] as string);
    const json = record.getByTestId('audit-record-json');
    expect(await json.evaluate((element) => getComputedStyle(element).whiteSpace)).toBe('pre-wrap');
    expect(await json.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
    // the table names the conversation too
    await table.getByRole('link', { name: TITLE }).first().waitFor();
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('60-audit-approval-record');

    await link.click();
    await page.waitForURL(`**${conversationPath}`);
  });

  it('audit on a phone: nothing runs off the screen, the record opens below the table', async () => {
    const page = await signedIn(ADMIN, { width: 390, height: 844 });
    try {
      await page.goto('/audit');
      const table = page.getByTestId('audit-table');
      await table.getByRole('button', { name: 'approval.approved' }).first().waitFor();
      // Sideways scrolling is the table's own box's business: no element around it (the page's scroll container, the
      // document) may be wider than what it shows, or the whole page slides sideways on a phone.
      const overflowing = () =>
        table.evaluate((element) => {
          const wider: string[] = [];
          for (let node = element.parentElement; node; node = node.parentElement) {
            if (node.dataset['testid'] === 'audit-table-scroller') continue;
            if (node.scrollWidth > node.clientWidth + 1) wider.push(`${node.tagName.toLowerCase()}.${node.className} ${node.scrollWidth}>${node.clientWidth}`);
          }
          return wider;
        });
      const overflow = () => page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
      expect(await overflowing()).toEqual([]);
      expect((await overflow()).page).toBeLessThanOrEqual((await overflow()).viewport);
      await page.screenshot({ path: `${artifactsDir}/61-audit-phone.png` });
      await table.getByRole('button', { name: 'approval.approved' }).first().click();
      const record = page.getByRole('complementary', { name: 'Audit record' });
      await record.getByTestId('diff-view').waitFor();
      await expect.poll(async () => record.evaluate((element) => element.getBoundingClientRect().top < window.innerHeight)).toBe(true);
      expect(await overflowing()).toEqual([]);
      expect((await overflow()).page).toBeLessThanOrEqual((await overflow()).viewport);
      await page.screenshot({ path: `${artifactsDir}/62-audit-phone-record.png` });
    } finally {
      await page.context().close();
    }
  });

  it('audit for a member: only the notice, no export or verify buttons, no request for the trail', async () => {
    const page = await signedIn(MEMBER);
    try {
      const auditRequests: string[] = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname.startsWith('/api/v1/audit')) auditRequests.push(request.url());
      });
      await page.goto('/audit');
      await page.getByRole('alert').getByText('Only admins can see this page.').waitFor();
      expect(await page.getByRole('button', { name: 'Verify chain' }).count()).toBe(0);
      expect(await page.getByRole('link', { name: /JSONL|CSV/ }).count()).toBe(0);
      expect(await page.getByRole('form', { name: 'Filter audit records' }).count()).toBe(0);
      expect(auditRequests).toEqual([]);
      await page.screenshot({ path: `${artifactsDir}/63-audit-member.png` });
    } finally {
      await page.context().close();
    }
  });

  it('analytics: one bucket of data still draws its latency, the cost axis of $0 is $0, 15 minutes draws straight segments', async () => {
    const { page } = stack;
    await page.goto('/analytics');
    const cards = page.getByTestId('analytics-cards');
    await cards.waitFor();
    const avgTtft = cards.locator('div', { has: page.getByText('Avg TTFT', { exact: true }) }).last().locator('p').nth(1);
    await expect.poll(async () => avgTtft.textContent()).toMatch(/\d/);
    const latency = page.getByRole('figure', { name: 'Latency (ms)' });
    // the card has a number, so the chart must show it: a dot per series where there is data
    await expect.poll(async () => latency.locator('.recharts-line-dots circle').count()).toBeGreaterThanOrEqual(2);
    // no cost in this window (the simulated model has no price): one tick, $0, not a 0-4 scale
    const cost = page.getByRole('figure', { name: 'Cost (USD)' });
    const costTicks = async () => (await cost.locator('.recharts-cartesian-axis-tick-value').allTextContents()).filter((text) => !/[A-Z][a-z]{2} \d/.test(text));
    // the y ticks (the x ticks are dates)
    await expect.poll(async () => (await costTicks()).length).toBeGreaterThan(0);
    expect(await costTicks()).toEqual(['$0']);
    await expect.poll(async () => latency.locator('.recharts-line-dots circle').count()).toBeGreaterThanOrEqual(2);
    await stack.screenshot('64-analytics-one-bucket');

    await page.getByRole('radio', { name: '15 min' }).click();
    await expect.poll(async () => page.getByRole('radio', { name: '15 min' }).getAttribute('aria-checked')).toBe('true');
    const tokens = page.getByRole('figure', { name: 'Tokens' });
    await tokens.locator('path.recharts-curve').first().waitFor();
    await expect.poll(async () => (await latency.locator('.recharts-line-dots circle').count()) > 0).toBe(true);
    // straight segments (M/L) between buckets, no smoothing (C: cubic Bézier)
    const paths = await page.locator('figure path.recharts-curve').evaluateAll((elements) => elements.map((element) => element.getAttribute('d') ?? ''));
    expect(paths.length).toBeGreaterThan(0);
    for (const d of paths) expect(d).not.toMatch(/C/);
    // the screenshot after recharts' drawing animation has finished: the curves stop changing
    let previous = '';
    await expect.poll(async () => {
      const current = (await page.locator('figure path.recharts-curve').evaluateAll((elements) => elements.map((element) => element.getAttribute('d')))).join('|');
      const settled = current === previous;
      previous = current;
      return settled;
    }).toBe(true);
    await stack.screenshot('65-analytics-15-minutes');
  });
});
