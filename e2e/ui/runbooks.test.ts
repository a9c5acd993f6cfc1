/**
 * Issue 36 item 4: an answer the model gave with a team runbook says so — a "Runbook: <title>" chip on the answer,
 * live and after a reload — and the chip opens the runbook in Settings → Runbooks. Real headless Chromium against a
 * real engine with RUNBOOKS_DIR. Issue 37 item 9: an alert investigation opens with the alert, not a user bubble.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { askInChat, registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;

beforeAll(async () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'skyflo-runbooks-'));
  writeFileSync(path.join(folder, 'crashloop.md'), '---\nalerts: [KubePodCrashLooping]\n---\n# Pod crash looping\n\nRead the previous logs with `kubectl logs --previous`.\n');
  stack = await startUiStack({ env: { RUNBOOKS_DIR: folder } });
  await registerAndSignIn(stack);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

describe('runbooks in the Command Center', () => {
  it('the answer shows the runbook it used, after a reload too, and the chip opens it', async () => {
    const { page } = stack;
    stack.llm.reset({ rules: [{ match: { always: true }, reply: 'Runbook: Pod crash looping\n\nThe previous logs say DATABASE_URL is missing.' }] });
    await askInChat(page, 'Why is KubePodCrashLooping firing for web?');
    const chip = page.getByTestId('runbook-chip');
    await chip.waitFor();
    expect(await chip.textContent()).toBe('Runbook: Pod crash looping');
    // the chip comes from runbook.used, sent before the model is called: wait for the model's call to be logged
    await expect.poll(() => stack.llm.calls.length, { timeout: 60_000 }).toBeGreaterThan(0);
    expect(JSON.stringify(stack.llm.calls[0]!.messages)).toContain('Read the previous logs');

    await page.reload();
    await page.getByTestId('runbook-chip').waitFor();
    expect(await page.getByTestId('runbook-chip').allTextContents()).toEqual(['Runbook: Pod crash looping']);

    await page.getByTestId('runbook-chip').click();
    await page.waitForURL(/\/settings\/runbooks\?runbook=crashloop\.md/);
    await expect.poll(async () => page.getByTestId('runbook-view').textContent()).toContain('kubectl logs --previous');
  });

  it("an alert investigation opens with the alert itself (labels, annotations, links), not the engine's instruction as a user message", async () => {
    // Issue 37 item 9: the on-call sees what fired; the model is still told how to investigate.
    const { page } = stack;
    stack.llm.reset({ rules: [{ match: { always: true }, reply: 'Diagnosis: web exits because DATABASE_URL is missing.' }] });
    const created = await stack.context.request.post('/api/v1/auth/tokens', { data: { name: 'alertmanager', scopes: ['alerts:write'] } });
    expect(created.status()).toBe(201);
    const token = ((await created.json()) as { token: string }).token;
    const alertLabels = { alertname: 'KubePodCrashLooping', namespace: 'default', pod: 'web-7d9' };
    const sent = await fetch(`${stack.url}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: '{}:{alertname="KubePodCrashLooping"}',
        status: 'firing',
        receiver: 'pager',
        groupLabels: { alertname: 'KubePodCrashLooping' },
        commonLabels: alertLabels,
        commonAnnotations: { summary: 'Pod default/web-7d9 is crash looping', runbook_url: 'https://runbooks.example/crashloop' },
        alerts: [{ status: 'firing', labels: alertLabels, annotations: {} }],
      }),
    });
    expect(sent.status).toBe(202);
    const conversationId = ((await sent.json()) as { conversation_id: string }).conversation_id;
    const answered = async () => ((await (await stack.context.request.get(`/api/v1/conversations/${conversationId}`)).json()) as { messages: Array<{ type: string }> }).messages.map((entry) => entry.type);
    await expect.poll(answered, { timeout: 60_000 }).toEqual(['alert', 'assistant']);

    await page.goto(`/chat/${conversationId}`);
    const card = page.getByTestId('alert-entry');
    await card.waitFor();
    await page.getByText('Diagnosis: web exits because DATABASE_URL is missing.').waitFor();
    const shown = (await card.textContent()) ?? '';
    for (const text of ['Alert', 'KubePodCrashLooping', 'firing', 'pager', 'pod=web-7d9', 'namespace=default', 'Pod default/web-7d9 is crash looping']) expect(shown).toContain(text);
    expect(await card.getByRole('link', { name: 'runbook_url' }).getAttribute('href')).toBe('https://runbooks.example/crashloop');
    expect(await page.getByTestId('user-message').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('An alert fired');
    expect(JSON.stringify(stack.llm.calls.at(-1)!.messages)).toContain('An alert fired. Investigate it with read-only tools');
    expect(await stack.seriousA11yViolations()).toEqual([]);
  });
});
