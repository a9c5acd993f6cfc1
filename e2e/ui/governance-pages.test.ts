/**
 * Model settings, Integrations, Audit and Analytics in real headless Chromium against the real engine endpoints (no
 * request interception). The engine starts without LLM_MODEL, as a fresh install does: the admin is sent from the
 * home page to Settings, chooses llm-sim as an OpenAI-compatible model, tests and saves it, and the next chat is
 * answered by it without a restart. Then a Jenkins connection (jenkins-sim) is added through the page, first with a
 * wrong token; the audit trail lists what happened, with the diff of an approved change, a verified chain and
 * exports; analytics shows the chats' figures and charts.
 */
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { auditListResponseSchema, auditRecordSchema, auditCsvColumns, integrationsResponseSchema, llmSettingsSchema } from '@skyflo/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { approveOnCard, askInChat, artifactsDir, readOnlyScript, scaleScript, startUiStack, type UiStack, registerAndSignIn, screenshotOnFailure } from './ui-stack.ts';

// A loaded 2-core machine (another suite running beside this one) can take far longer than an idle one.
vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;
let jenkins: JenkinsSim;
const MODEL_KEY = 'sk-sim-model-key-7Qz9';

beforeAll(async () => {
  [stack, jenkins] = await Promise.all([startUiStack({ modelFromEnvironment: false }), startJenkinsSim({ port: 0, host: '127.0.0.1', user: 'robot', token: 'jenkins-right-token-W4xY' })]);
  await registerAndSignIn(stack);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

// Closing waits for the engine's runs and streams to settle, which a loaded machine can stretch to a minute.
afterAll(async () => {
  await stack?.close();
  await jenkins?.close();
}, 180_000);

/** GET through the page's own session (its HttpOnly cookies), as the UI would. */
async function apiGet(page: Page, path: string): Promise<unknown> {
  const response = await page.request.get(`/api/v1${path}`);
  expect(response.status()).toBe(200);
  return response.json();
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks (a diff in details). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') (field += '"'), index++;
      else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') row.push(field), (field = '');
    else if (char === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (char !== '\r') field += char;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

const ask = askInChat;

describe('governance pages against the real engine', () => {
  it('first run without a model: a member is told an admin must configure one', async () => {
    const member = { email: 'grace@example.com', password: 'another-long-password' };
    const added = await stack.page.request.post('/api/v1/team/members', { data: { ...member, role: 'member' } });
    expect(added.status()).toBe(201);
    const context = await stack.browser.newContext({ baseURL: stack.url, viewport: { width: 1366, height: 860 } });
    try {
      const page = await context.newPage();
      await page.goto('/login');
      await page.getByLabel('Email').fill(member.email);
      await page.getByLabel('Password').fill(member.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const notice = page.getByRole('status').filter({ hasText: 'No model is configured yet' });
      await notice.getByText('An admin must configure a model before you can chat.').waitFor();
      // members get no link to a page they cannot use
      expect(await notice.getByRole('link').count()).toBe(0);
      await page.screenshot({ path: `${artifactsDir}/35-member-no-model.png` });
    } finally {
      await context.close();
    }
  });

  it('first run without a model: the home page sends the admin to Settings, where a model is tested, saved and used by the next chat', async () => {
    const { page, llm } = stack;
    await page.goto('/');
    const callToAction = page.getByRole('status').filter({ hasText: 'No model is configured yet' }).getByRole('link', { name: /Choose a provider and model/ });
    await callToAction.waitFor();
    await stack.screenshot('36-admin-no-model');
    await callToAction.click();
    await page.waitForURL('**/settings/model');
    const section = page.getByRole('region', { name: 'Model' });
    await section.getByText('Not configured').waitFor();
    await section.getByLabel('Provider').selectOption('openai-compatible');
    await section.getByLabel('Model', { exact: true }).fill('sim-model');
    await section.getByLabel('Base URL').fill(llm.url);
    await section.getByLabel('API key').fill(MODEL_KEY);
    llm.reset({ rules: [], fallback: { text: 'pong' } });
    await section.getByRole('button', { name: 'Test' }).click();
    await section.getByRole('status').getByText(/^Works: (openai-compatible\/)?sim-model answered in \d+ ms\.$/).waitFor();
    await section.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('status').getByText('Saved; new runs use it.').waitFor();
    await section.getByText('Configured', { exact: true }).waitFor();
    const saved = llmSettingsSchema.parse(await apiGet(page, '/settings/llm'));
    expect(saved).toMatchObject({ configured: true, provider: 'openai-compatible', model: 'sim-model', base_url: llm.url, source: 'settings', api_key: { set: true, last4: MODEL_KEY.slice(-4) } });
    // the key typed in is never echoed back into the page nor kept in web storage
    await page.reload();
    await section.getByText(`Stored (…${MODEL_KEY.slice(-4)})`, { exact: false }).waitFor();
    expect(await page.content()).not.toContain(MODEL_KEY);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))).not.toContain(MODEL_KEY);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await section.scrollIntoViewIfNeeded();
    await stack.screenshot('34-model-settings');

    // the very next chat runs on the saved model, without restarting the engine
    llm.reset(readOnlyScript);
    await ask(page, 'Which deployments run in default?');
    await page.getByText('Only').filter({ hasText: 'runs in' }).first().waitFor();
    expect(llm.calls.length).toBeGreaterThan(0);
    expect(llm.calls.every((call) => call.model === 'sim-model')).toBe(true);
    // the home page no longer asks for a model
    await page.goto('/');
    await page.getByRole('heading', { name: /What should we look at/ }).waitFor();
    expect(await page.getByText('No model is configured yet').count()).toBe(0);
  });

  it('an approved change (for the audit trail and analytics)', async () => {
    const { page, llm } = stack;
    llm.reset(scaleScript(3));
    await ask(page, 'Scale web to 3');
    const card = page.getByTestId('approval-card');
    await approveOnCard(card);
    await page.getByText('web now has 3 replicas.').waitFor();
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('3');
  });

  it('integrations: a wrong Jenkins token is refused with the engine\'s reason; the right one is saved, masked, tested, disabled, enabled and deleted', async () => {
    const { page } = stack;
    await page.goto('/integrations');
    await page.getByText('No integrations yet').waitFor();
    const form = page.getByRole('region', { name: 'Add Jenkins' });
    await form.getByLabel('Name', { exact: true }).fill('ci');
    await form.getByLabel('Jenkins URL').fill(jenkins.url);
    await form.getByLabel('Username').fill('robot');
    await form.getByLabel('API token').fill('jenkins-wrong-token');
    await form.getByRole('button', { name: 'Add integration' }).click();
    await form.getByText(/Jenkins refused the credentials \(HTTP 401\); check the username and API token/).waitFor();
    expect(integrationsResponseSchema.parse(await apiGet(page, '/integrations'))).toEqual([]);

    await form.getByLabel('API token').fill(jenkins.token);
    await form.getByRole('button', { name: 'Add integration' }).click();
    const card = page.getByTestId('integration');
    await card.getByText(`${jenkins.url} · robot · token …${jenkins.token.slice(-4)}`).waitFor();
    await card.getByText('Active', { exact: true }).waitFor();
    const [created] = integrationsResponseSchema.parse(await apiGet(page, '/integrations'));
    expect(created).toMatchObject({ name: 'ci', status: 'active', metadata: { api_url: jenkins.url, username: 'robot' }, credentials: { set: true, token_last4: jenkins.token.slice(-4) } });
    // the form is cleared once saved; the token is nowhere in the page
    expect(await form.getByLabel('API token').inputValue()).toBe('');
    expect(await page.content()).not.toContain(jenkins.token);

    await card.getByRole('button', { name: 'Test connection' }).click();
    await card.getByRole('status').getByText(/^Connected as robot in \d+ ms\.$/).waitFor();
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('33-integrations');

    await card.getByRole('button', { name: 'Disable' }).click();
    await card.getByText('Disabled', { exact: true }).waitFor();
    expect(integrationsResponseSchema.parse(await apiGet(page, '/integrations'))[0]?.status).toBe('disabled');
    await card.getByRole('button', { name: 'Enable' }).click();
    await card.getByText('Active', { exact: true }).waitFor();
    expect(integrationsResponseSchema.parse(await apiGet(page, '/integrations'))[0]?.status).toBe('active');

    await card.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Delete ci?').waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No integrations yet').waitFor();
    expect(integrationsResponseSchema.parse(await apiGet(page, '/integrations'))).toEqual([]);
    expect(await page.content()).not.toContain(jenkins.token);
  });

  it('audit: real records filtered by action, a proposed change with its diff, the chain verified, JSONL and CSV exports', async () => {
    const { page } = stack;
    await page.goto('/audit');
    const table = page.getByTestId('audit-table');
    await table.getByRole('button', { name: 'integration.created' }).first().waitFor();
    await page.getByRole('form', { name: 'Filter audit records' }).getByLabel('Action').fill('integration.*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await table.getByRole('button', { name: 'integration.deleted' }).waitFor();
    await expect.poll(async () => new Set(await table.locator('tbody tr td:nth-child(4)').allTextContents())).toEqual(new Set(['integration.created', 'integration.updated', 'integration.deleted']));
    // the token never reaches the audit trail either
    expect(await page.content()).not.toContain(jenkins.token);

    await page.getByRole('form', { name: 'Filter audit records' }).getByLabel('Action').fill('tool.proposed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await table.getByRole('button', { name: 'tool.proposed' }).first().click();
    const record = page.getByRole('complementary', { name: 'Audit record' });
    await record.getByTestId('diff-view').locator('[data-diff="add"]', { hasText: 'replicas: 3' }).waitFor();
    await record.getByText('"tool": "k8s_scale"').waitFor();

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByTestId('verify-result').getByText(/^Chain intact: \d+ records verified, head [0-9a-f]{12}…$/).waitFor();
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('32-audit');

    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'JSONL' }).click()]);
    const lines = readFileSync((await jsonl.path())!, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(auditRecordSchema.parse(JSON.parse(line)).action).toBe('tool.proposed');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
    const [header, ...rows] = parseCsv(readFileSync((await csv.path())!, 'utf8'));
    expect(header).toEqual([...auditCsvColumns]);
    expect(rows.length).toBe(lines.length);
    for (const row of rows) {
      expect(row).toHaveLength(auditCsvColumns.length);
      expect(row[auditCsvColumns.indexOf('action')]).toBe('tool.proposed');
    }
    // every call the agent made was proposed (reads too); the approved scale is among them, its diff in details
    const proposed = rows.map((row) => JSON.parse(row[auditCsvColumns.indexOf('details')]!) as { tool: string; diff?: string });
    expect(proposed.find((details) => details.tool === 'k8s_scale')?.diff).toContain('replicas: 3');

    // the page lists what the API lists
    const listed = auditListResponseSchema.parse(await apiGet(page, '/audit?action=tool.proposed'));
    expect(listed.data.length).toBe(lines.length);
  });

  it('analytics: non-zero cards and rendered charts for the default range after real chats', async () => {
    const { page } = stack;
    await page.goto('/analytics');
    const cards = page.getByTestId('analytics-cards');
    await cards.waitFor();
    const conversations = cards.locator('div', { has: page.getByText('Conversations', { exact: true }) }).last();
    await expect.poll(async () => Number((await conversations.locator('p').nth(1).textContent())?.replace(/,/g, ''))).toBeGreaterThanOrEqual(2);
    for (const title of ['Tokens', 'Cost (USD)', 'Latency (ms)', 'Tool calls by tool']) {
      await page.getByRole('figure', { name: title }).locator('svg.recharts-surface').first().waitFor();
    }
    expect(await page.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('31-analytics');
  });
});
