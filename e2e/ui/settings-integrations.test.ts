/**
 * Issue 37 items 10 and 11 in headless Chromium against a real engine (kube-sim, llm-sim, slack-sim), started without
 * a model and without PUBLIC_URL, as a fresh install is:
 * - the Integrations page warns while the engine does not know its public address; the first admin's browser supplies
 *   it; Slack is connected from the page (bot token, signing secret, channel), tested, and its Interactivity Request
 *   URL is shown absolute and copied; the secrets never come back; Settings → Public address changes it;
 * - Settings has one section per address; following the home page's banner link lands on /settings/model without
 *   shifting the app shell;
 * - the audit record of a proposed change names who asked by e-mail, not by user id; integrations say "Active".
 */
import path from 'node:path';
import { auditListResponseSchema, publicUrlSettingsSchema } from '@skyflo/protocol';
import { startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { repoRoot } from '@skyflo/testkit/tools';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, askInChat, scaleScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

const docsDir = path.join(repoRoot, 'packages', 'ui', 'docs');
const MEMBER = { email: 'grace@example.com', password: 'another-long-password' };
const BOT_TOKEN = 'xoxb-skyflo-settings-ui-8642';
const SIGNING_SECRET = 'slack-signing-secret-settings-ui-0123';

let stack: UiStack;
let slack: SlackSim;

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /What should we look at/ }).waitFor();
}

const publicUrl = async () => publicUrlSettingsSchema.parse(await (await stack.context.request.get('/api/v1/settings/public-url')).json());

beforeAll(async () => {
  slack = await startSlackSim({ botToken: BOT_TOKEN });
  stack = await startUiStack({ modelFromEnvironment: false });
  // the admin registers and signs in through the API only: no browser has opened the Command Center yet
  const registered = await stack.context.request.post('/api/v1/auth/register/register', { data: { email: ADMIN.email, password: ADMIN.password, full_name: ADMIN.name } });
  expect(registered.status()).toBe(201);
  const login = await stack.context.request.post('/api/v1/auth/jwt/login', { form: { username: ADMIN.email, password: ADMIN.password } });
  expect(login.status()).toBe(200);
  const member = await stack.context.request.post('/api/v1/team/members', { data: { ...MEMBER, role: 'member' } });
  expect(member.status()).toBe(201);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
  await slack?.close();
}, 180_000);

describe('Settings and Integrations', () => {
  it('while the public address is unknown, the Integrations page says links are relative', async () => {
    expect(await publicUrl()).toEqual({ url: null, source: 'unknown' });
    const context = await stack.browser.newContext({ baseURL: stack.url, viewport: { width: 1366, height: 860 } });
    try {
      const page = await context.newPage();
      await signIn(page, MEMBER);
      await page.goto('/integrations');
      await page.getByTestId('public-url-unknown').getByText(/links in webhooks and Slack messages are relative/).waitFor();
      // a member's browser does not decide the address
      expect(await publicUrl()).toEqual({ url: null, source: 'unknown' });
    } finally {
      await context.close();
    }
  });

  it('the home banner link opens Settings → Model in place: the app shell does not shift', async () => {
    const { page } = stack;
    await page.goto('/');
    // the first admin's browser supplies the public address
    await expect.poll(async () => (await publicUrl()).url, { timeout: 30_000 }).toBe(stack.url);
    expect(await publicUrl()).toMatchObject({ source: 'settings', origin: 'browser', set_by: ADMIN.email });
    await page.getByRole('status').filter({ hasText: 'No model is configured yet' }).getByRole('link', { name: /Choose a provider and model/ }).click();
    await page.waitForURL('**/settings/model');
    const model = page.getByRole('region', { name: 'Model' });
    await model.getByText('Not configured').waitFor();
    const shell = await page.evaluate(() => ({
      mainTop: document.getElementById('main')!.getBoundingClientRect().top,
      scrolledHidden: Array.from(document.querySelectorAll('*'))
        .filter((element) => element.scrollTop > 0 && getComputedStyle(element).overflowY === 'hidden')
        .map((element) => element.tagName),
      documentScrolled: document.scrollingElement!.scrollTop,
    }));
    expect(shell).toEqual({ mainTop: 0, scrolledHidden: [], documentScrolled: 0 });
    const modelTop = await model.evaluate((element) => element.getBoundingClientRect().top);
    expect(modelTop).toBeGreaterThan(0);
    expect(modelTop).toBeLessThan(860);
    // one section per page: the Model page has no Profile or Team forms, each section has its address
    expect(await page.getByRole('region', { name: 'Profile' }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Team' }).count()).toBe(0);
    const sections = page.getByRole('navigation', { name: 'Settings sections' });
    expect(await sections.getByRole('link').allTextContents()).toEqual(['Profile', 'API tokens', 'Team', 'Model', 'Clusters', 'Public address', 'Runbooks', 'Policies', 'Freezes', 'Schedules']);
    await sections.getByRole('link', { name: 'Team' }).click();
    await page.waitForURL('**/settings/team');
    await page.getByRole('region', { name: 'Team' }).getByRole('cell', { name: MEMBER.email }).waitFor();
    expect(await page.getByRole('region', { name: 'Model' }).count()).toBe(0);
    // an old anchor still lands on its section
    await page.goto('/settings#clusters');
    await page.waitForURL('**/settings/clusters');
    await page.goto('/settings');
    await page.waitForURL('**/settings/profile');
    await page.getByRole('region', { name: 'Profile' }).waitFor();
    expect(await stack.seriousA11yViolations()).toEqual([]);
  });

  it('Slack from the Integrations page: connect, test, the absolute Request URL copied; secrets never come back', async () => {
    const { page } = stack;
    await stack.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    await page.goto('/integrations');
    const form = page.getByRole('region', { name: 'Add Slack' });
    await form.getByTestId('slack-request-url').waitFor();
    expect(await page.getByTestId('public-url-unknown').count()).toBe(0);
    await form.getByLabel('Name').fill('ops');
    await form.getByLabel('Channel ID').fill('C_OPS');
    await form.getByLabel('Bot token').fill(BOT_TOKEN);
    await form.getByLabel('Signing secret').fill(SIGNING_SECRET);
    await form.getByLabel('Web API URL (optional)').fill(slack.apiUrl);
    await form.getByRole('button', { name: 'Connect Slack' }).click();
    const card = page.getByTestId('slack-card');
    await card.getByText('Active', { exact: true }).waitFor();
    await card.getByText(`bot token …${BOT_TOKEN.slice(-4)}`, { exact: false }).waitFor();
    const requestUrl = `${stack.url}/api/v1/integrations/slack/interactions`;
    expect(await card.getByTestId('slack-request-url').textContent()).toBe(requestUrl);
    await card.getByRole('button', { name: 'Copy the Request URL' }).click();
    await card.getByRole('button', { name: 'Copy the Request URL' }).getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(requestUrl);

    await card.getByRole('button', { name: 'Test' }).click();
    await card.getByRole('status').getByText('Connected as skyflo in Skyflo Sim; a test message was posted in C_OPS.').waitFor();
    expect([...slack.messages.values()].map((message) => [message.channel, message.text])).toEqual([['C_OPS', 'Skyflo test: approval requests will be posted in this channel.']]);

    const listed = await (await stack.context.request.get('/api/v1/integrations')).text();
    expect(listed).not.toContain(BOT_TOKEN);
    expect(listed).not.toContain(SIGNING_SECRET);
    await page.reload();
    await card.waitFor();
    expect(await page.content()).not.toContain(BOT_TOKEN);
    expect(await page.content()).not.toContain(SIGNING_SECRET);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await card.screenshot({ path: path.join(docsDir, 'integrations-slack.png') });

    // Settings → Public address changes it; the Request URL follows
    await page.goto('/settings/server');
    const section = page.getByRole('region', { name: 'Public address' });
    await section.getByText(`Taken from ${ADMIN.email}'s browser.`, { exact: false }).waitFor();
    await section.getByLabel('Address').fill('https://skyflo.example.com');
    await section.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('status').getByText('Saved; new links use it.').waitFor();
    expect(await publicUrl()).toMatchObject({ url: 'https://skyflo.example.com', origin: 'admin' });
    await page.goto('/integrations');
    expect(await page.getByTestId('slack-card').getByTestId('slack-request-url').textContent()).toBe('https://skyflo.example.com/api/v1/integrations/slack/interactions');
  });

  it('a proposed change\'s audit record names who asked by e-mail', async () => {
    const { page, llm } = stack;
    const saved = await stack.context.request.put('/api/v1/settings/llm', { data: { provider: 'openai-compatible', model: 'sim-model', base_url: llm.url, api_key: 'sk-sim-0123456789' } });
    expect(saved.status()).toBe(200);
    llm.reset(scaleScript(3));
    await askInChat(page, 'Scale web to 3 replicas');
    await page.getByTestId('approval-card').getByRole('button', { name: /^Approve/ }).first().waitFor();
    const listed = auditListResponseSchema.parse(await (await stack.context.request.get('/api/v1/audit?action=tool.proposed')).json());
    const proposed = listed.data.find((record) => typeof record.details['requested_by'] === 'string')!;
    const adminId = proposed.details['requested_by'] as string;

    await page.goto('/audit');
    await page.getByTestId('audit-table').getByRole('button', { name: 'tool.proposed' }).first().click();
    const record = page.getByRole('complementary', { name: 'Audit record' });
    // the e-mail shows once the team list has loaded ('…' until then)
    await record.getByTestId('audit-requested-by').getByText(ADMIN.email, { exact: true }).waitFor();
    expect(await record.getByTestId('audit-requested-by').textContent()).toBe(ADMIN.email);
    const json = await record.getByTestId('audit-record-json').textContent();
    expect(json).toContain(`"requested_by": "${ADMIN.email}"`);
    expect(json).not.toContain(adminId);
  });
});
