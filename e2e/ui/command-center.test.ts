/**
 * The Command Center in real headless Chromium against a real engine: first-run admin, a read-only question
 * answered with a tool card, a change approved in the page (the cluster changes, checked with kubectl), one denied,
 * rename/delete/search in the sidebar, settings, logout and login. Screenshots go to artifacts/ui/, and axe-core
 * finds no serious or critical accessibility violation on the main pages.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { askInChat, ADMIN, readOnlyScript, scaleScript, startUiStack, type UiStack, screenshotOnFailure } from './ui-stack.ts';

// A loaded 2-core machine (another suite running beside this one) can take far longer than an idle one.
vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;

beforeAll(async () => {
  stack = await startUiStack();
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

// Closing waits for the engine's runs and streams to settle, which a loaded machine can stretch to a minute.
afterAll(async () => {
  await stack?.close();
}, 180_000);

const ask = (question: string) => askInChat(stack.page, question);

describe('Command Center', () => {
  it('serves the SPA: deep links get index.html, hashed assets are immutable, unknown /api paths stay JSON 404s', async () => {
    const deep = await fetch(`${stack.url}/chat/00000000-0000-4000-8000-000000000000`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('cache-control')).toBe('no-cache');
    const html = await deep.text();
    expect(html).toContain('<div id="root">');
    const asset = html.match(/\/assets\/[^"]+\.js/)![0];
    const script = await fetch(`${stack.url}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(script.headers.get('content-encoding')).toMatch(/^(br|gzip)$/);
    const api = await fetch(`${stack.url}/api/v1/nope`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ detail: expect.stringContaining('not found') });
  });

  it('first run: an empty server sends the visitor to create the admin, who lands on the chat home', async () => {
    const { page } = stack;
    await page.goto('/');
    await page.waitForURL('**/welcome');
    await page.getByRole('heading', { name: 'Create the admin account' }).waitFor();
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('01-first-run');
    await page.getByLabel('Full name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Confirm password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create admin and sign in' }).click();
    await page.getByRole('heading', { name: /Hello Ada\. What should we look at\?/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    // HttpOnly cookies carry the session; nothing sits in web storage
    const cookies = await stack.context.cookies();
    expect(cookies.filter((cookie) => cookie.httpOnly).map((cookie) => cookie.name).sort()).toEqual(['auth_token', 'refresh_token']);
    expect(await page.evaluate(() => Object.keys(localStorage).length)).toBe(0);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('02-home');
  });

  it('a read-only question: thinking, a completed tool card with its exact args and result, then the Markdown answer', async () => {
    const { page } = stack;
    stack.llm.reset(readOnlyScript);
    await ask('Which deployments run in default?');
    await page.getByText('Only', { exact: false }).locator('strong', { hasText: 'web' }).waitFor();
    const card = page.locator('[data-testid="tool-card"][data-tool="k8s_get"]');
    await card.and(page.locator('[data-status="completed"]')).waitFor();
    await page.getByRole('cell', { name: '2/2' }).waitFor();
    await page.getByRole('button', { name: /Thought/ }).waitFor();
    await card.getByRole('button').first().click();
    await card.getByLabel('Arguments').waitFor();
    expect(await card.getByLabel('Arguments').textContent()).toContain('"resource_type": "deployments"');
    expect(await card.getByLabel('Result').textContent()).toContain('web');
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('03-chat-read-only');
  });

  it('a change approved in the page: the card shows the exact args and the dry-run diff, and the cluster changes', async () => {
    const { page } = stack;
    stack.llm.reset(scaleScript(5));
    await ask('Scale web to 5 replicas');
    const card = page.getByTestId('approval-card');
    await card.waitFor();
    expect(await card.getByLabel('Arguments').textContent()).toContain('"replicas": 5');
    const diff = card.getByTestId('diff-view');
    await diff.waitFor();
    expect(await diff.locator('[data-diff="add"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('replicas: 5')]));
    expect(await diff.locator('[data-diff="del"]').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('replicas: 2')]));
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('04-approval-card');
    await card.getByRole('button', { name: /Approve/ }).click();
    await page.getByText('web now has 5 replicas.').waitFor();
    await page.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="completed"]').waitFor();
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('5');
    await stack.screenshot('05-approved');
  });

  it('a change denied with a reason (keyboard: D on the focused card): the cluster stays as it was', async () => {
    const { page } = stack;
    stack.llm.reset(scaleScript(1, 'Understood, web stays as it is.'));
    await ask('Scale web down to 1');
    const card = page.getByTestId('approval-card');
    await card.waitFor();
    await card.getByLabel('Reason (optional)').fill('peak traffic, not now');
    // a deliberate move into the card (a click) is what lets the D key decide it (issue 19)
    await card.getByRole('heading', { level: 3 }).click();
    await page.keyboard.press('d');
    await page.getByText('Understood, web stays as it is.').waitFor();
    const denied = page.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="denied"]');
    await denied.waitFor();
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('5');
    await denied.getByRole('button').first().click();
    await denied.getByText(/peak traffic, not now/).waitFor();
    await stack.screenshot('06-denied');
  });

  it('sidebar: history grouped by date, rename, Ctrl+K search, delete with confirm', async () => {
    const { page } = stack;
    await page.goto('/');
    const history = page.getByRole('navigation', { name: 'Conversation history' });
    await history.getByRole('region', { name: 'Today' }).waitFor();
    const items = history.getByRole('listitem');
    expect(await items.count()).toBe(3);
    const first = items.first();
    await first.hover();
    await first.getByRole('button', { name: /Actions for/ }).click();
    await page.getByRole('menuitem', { name: 'Rename' }).click();
    await page.getByRole('textbox', { name: 'Conversation title' }).fill('Scale-down that was denied');
    await page.keyboard.press('Enter');
    await history.getByRole('link', { name: 'Scale-down that was denied' }).waitFor();

    await page.keyboard.press('Control+k');
    await page.getByRole('textbox', { name: 'Search conversations' }).fill('denied');
    await page.getByRole('option', { name: /Scale-down that was denied/ }).waitFor();
    await stack.screenshot('07-search');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/chat\//);
    await page.getByTestId('conversation-title').getByText('Scale-down that was denied').waitFor();

    const renamed = history.getByRole('listitem').filter({ hasText: 'Scale-down that was denied' });
    await renamed.hover();
    await renamed.getByRole('button', { name: /Actions for/ }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this conversation?' });
    await dialog.waitFor();
    await stack.screenshot('08-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    // While the dialog closes, the rest of the page is aria-hidden and role queries match nothing: wait it out first.
    await dialog.waitFor({ state: 'detached' });
    await history.getByRole('link', { name: 'Scale-down that was denied' }).waitFor({ state: 'detached' });
    expect(await history.getByRole('listitem').count()).toBe(2);
  });

  it('settings: profile name, team add and remove, the model set by the environment, pending approvals page', async () => {
    const { page } = stack;
    await page.goto('/settings');
    await page.getByLabel('Full name').fill('Ada King');
    // the Model section has its own Save: this one is the profile's
    await page.getByRole('region', { name: 'Profile' }).getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    // each settings section has its own address (issue 37 item 11)
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Team' }).click();
    await page.waitForURL('**/settings/team');
    const team = page.getByRole('region', { name: 'Team' });
    await team.getByLabel('Email').fill('grace@example.com');
    await team.getByLabel('Initial password').fill('another-long-password');
    await team.getByLabel('Role', { exact: true }).selectOption('approver');
    await team.getByRole('button', { name: 'Add member' }).click();
    await team.getByRole('cell', { name: 'grace@example.com' }).waitFor();
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('09-settings');
    await team.getByRole('row').filter({ hasText: 'grace@example.com' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await team.getByRole('cell', { name: 'grace@example.com' }).waitFor({ state: 'detached' });

    // this engine takes its model from LLM_MODEL: the Model section says the environment wins over saved settings
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Model' }).click();
    const model = page.getByRole('region', { name: 'Model' });
    await model.getByText('Set by the environment').waitFor();
    await model.getByRole('note').getByText(/^The environment wins: .*LLM_MODEL.* set on the server/).waitFor();
    await model.getByText('Chats use openai-compatible/sim-model.').waitFor();
    await model.scrollIntoViewIfNeeded();
    await stack.screenshot('11-model-from-environment');

    await page.getByRole('link', { name: 'Pending approvals' }).click();
    await page.getByText('Nothing is waiting for a decision').waitFor();
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('10-pending-approvals');
  });

  it('logout ends the session; a deep link asks to sign in and returns there afterwards', async () => {
    const { page } = stack;
    await page.goto('/settings');
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    expect((await stack.context.cookies()).filter((cookie) => cookie.name === 'auth_token' && cookie.value)).toEqual([]);
    await page.goto('/settings');
    await page.waitForURL('**/login?next=%2Fsettings');
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('11-login');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/settings/profile');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
  });

  it('on a tablet the sidebar becomes a drawer opened from the top bar', async () => {
    const { page } = stack;
    await page.setViewportSize({ width: 768, height: 1024 });
    try {
      await page.goto('/');
      const sidebar = page.getByRole('complementary', { name: 'Sidebar' });
      await page.getByRole('heading', { name: /What should we look at/ }).waitFor();
      expect(await sidebar.isVisible()).toBe(false);
      await page.getByRole('button', { name: 'Open the sidebar' }).click();
      await sidebar.getByRole('link', { name: 'Settings' }).waitFor();
      await stack.screenshot('12-tablet-drawer');
      await sidebar.getByRole('link', { name: 'Settings' }).click();
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      await sidebar.waitFor({ state: 'hidden' });
    } finally {
      await page.setViewportSize({ width: 1366, height: 860 });
    }
  });
});
