/**
 * Issue 37 in Chromium: Ctrl+K finds a conversation by words of its answer, not only its title, and shows the passage
 * with the match highlighted; markup stored in a conversation is shown as text, never rendered.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { askInChat, registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;

beforeAll(async () => {
  stack = await startUiStack();
  await registerAndSignIn(stack);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

describe('Ctrl+K search over conversation content', () => {
  it('typing "ImagePullBackOff" shows the conversation whose answer mentions it, with the word highlighted', async () => {
    const { page } = stack;
    stack.llm.reset({ rules: [{ match: { lastRole: 'user' as const }, reply: 'The **frontend** pods are in ImagePullBackOff <img src=x onerror="window.__injected=1">: the tag `v2.4.1` does not exist.' }] });
    const path = await askInChat(page, 'why is the frontend down?');
    await page.getByText('does not exist', { exact: false }).first().waitFor();
    stack.llm.reset({ rules: [{ match: { lastRole: 'user' as const }, reply: 'All nodes are Ready.' }] });
    await askInChat(page, 'are the nodes healthy?');
    await page.getByText('All nodes are Ready.').waitFor();

    await page.keyboard.press('Control+k');
    await page.getByRole('textbox', { name: 'Search conversations' }).fill('ImagePullBackOff');
    const results = page.getByRole('listbox', { name: 'Search results' });
    const hit = results.getByRole('option').filter({ has: page.getByTestId('search-highlight') });
    await hit.waitFor();
    // only the conversation that mentions it
    expect(await results.getByRole('option').count()).toBe(1);
    const snippet = hit.getByTestId('search-snippet');
    expect(await snippet.getByTestId('search-highlight').allTextContents()).toEqual(['ImagePullBackOff']);
    expect(await snippet.textContent()).toContain('the tag v2.4.1 does not exist');
    // the stored markup is text in the snippet: no element was made from it, nothing ran
    expect(await snippet.textContent()).toContain('<img src=x onerror=');
    expect(await snippet.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('search-content-snippet');

    // a filter narrows it: the conversation is on kube-sim, so another cluster finds nothing, and kube-sim finds it
    await page.getByRole('button', { name: 'Filters' }).click();
    await page.getByRole('textbox', { name: 'Cluster', exact: true }).fill('another-cluster');
    await results.getByText('No conversation mentions “ImagePullBackOff” with these filters.').waitFor();
    await page.getByRole('textbox', { name: 'Cluster', exact: true }).fill('kube-sim');
    await hit.waitFor();

    await page.getByRole('textbox', { name: 'Search conversations' }).press('Enter');
    await page.waitForURL((url) => url.pathname === path);
  });
});
