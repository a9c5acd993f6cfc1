/**
 * Issue 36 item 4: an answer the model gave with a team runbook says so — a "Runbook: <title>" chip on the answer,
 * live and after a reload — and the chip opens the runbook in Settings → Runbooks. Real headless Chromium against a
 * real engine with RUNBOOKS_DIR.
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
    expect(JSON.stringify(stack.llm.calls[0]!.messages)).toContain('Read the previous logs');

    await page.reload();
    await page.getByTestId('runbook-chip').waitFor();
    expect(await page.getByTestId('runbook-chip').allTextContents()).toEqual(['Runbook: Pod crash looping']);

    await page.getByTestId('runbook-chip').click();
    await page.waitForURL(/\/settings\/runbooks\?runbook=crashloop\.md/);
    await expect.poll(async () => page.getByTestId('runbook-view').textContent()).toContain('kubectl logs --previous');
  });
});
