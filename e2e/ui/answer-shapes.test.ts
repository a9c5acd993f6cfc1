/**
 * Issue 33 item 4, in real Chromium: the Command Center reads the engine only through the protocol's typed client,
 * which checks each answer with the protocol's schema. An answer of another shape (an engine of another version, a
 * proxy's page) shows as an error on the page that asked — naming the route and what is wrong — and the rest of the
 * app keeps working; it is never a blank page or a script error. The real engine's answers pass the same check.
 */
import type { Route } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;
/** uncaught script errors on the page: a crash would land here */
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startUiStack();
  stack.page.on('pageerror', (error) => pageErrors.push(error.message));
  await registerAndSignIn(stack);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

/** answers `pattern` with a JSON body of the wrong shape (status 200), as a mismatched engine would */
const answerWith = (body: unknown) => (route: Route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });

describe('an answer the protocol does not describe', () => {
  it('the approvals queue shows which route answered what, and the app around it keeps working', async () => {
    const { page } = stack;
    // a list of calls where the queue's object should be (the shape of an older engine)
    // the queue asks for pages (issue 79): any query string of that route
    const queueRoute = (url: URL) => url.pathname === '/api/v1/approvals/pending';
    await page.route(queueRoute, answerWith([{ call_id: 'call_1', tool: 'k8s_scale' }]));
    await page.goto('/approvals');
    await page.getByRole('heading', { name: 'Pending approvals' }).waitFor();
    const alert = page.getByRole('alert').filter({ hasText: 'answered something this client cannot read' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/GET \/api\/v1\/approvals\/pending(\?\S*)? answered something this client cannot read/);
    // the rest of the app still works: the sidebar navigates to another page, which loads its own data
    await page.getByRole('link', { name: 'Settings' }).first().click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    // Settings has a section per address (issue 37): the team table is under Team
    await page.getByRole('link', { name: 'Team', exact: true }).first().click();
    await page.getByRole('cell', { name: 'ada@example.com' }).first().waitFor();
    await page.unroute(queueRoute);
    expect(pageErrors).toEqual([]);
  });

  it('a page whose numbers come back as words says so instead of drawing them', async () => {
    const { page } = stack;
    await page.route('**/api/v1/analytics/metrics?**', answerWith({ scope: 'all', summary: { conversations: 'many' }, buckets: 'none' }));
    await page.goto('/analytics');
    await page.getByRole('heading', { name: 'Analytics' }).waitFor();
    const alert = page.getByRole('alert').filter({ hasText: 'GET /api/v1/analytics/metrics' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/answered something this client cannot read/);
    await page.unroute('**/api/v1/analytics/metrics?**');
    expect(pageErrors).toEqual([]);
  });

  it("the real engine's answers pass the same check: the queue and analytics show their content", async () => {
    const { page } = stack;
    await page.goto('/approvals');
    await page.getByText('Nothing is waiting for a decision').waitFor();
    await page.goto('/analytics');
    await page.getByRole('heading', { name: 'Analytics' }).waitFor();
    await page.getByText('No activity in this window').waitFor();
    expect(await page.getByRole('alert').filter({ hasText: 'cannot read' }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
