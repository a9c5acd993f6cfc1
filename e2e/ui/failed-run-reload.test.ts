/**
 * Issue 23 item 10: a failed model call (workflow.error) is shown once, as an error with Retry: live, and again after
 * the conversation is reloaded from what the engine stored (the protocol's fold). It used to come back after a reload
 * as a "⚠ …" answer bubble beside (live) or instead of (reloaded) the error. Once a later question follows it, the
 * failure stays in the history, said once, in the failed answer. While the failed answer (which said nothing) is the
 * last one, it has no row of its own: an empty bot row above the error said nothing. Real headless Chromium against a
 * real engine.
 */
import type { Page } from 'playwright-core';
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

/**
 * Every way the page says the run failed: the run's error (with Retry), an answer's own error note, and "⚠" text;
 * and how many answer rows (the bot's) the timeline shows.
 */
async function failurePresentations(page: Page) {
  return {
    answerRows: await page.getByTestId('timeline').locator('article[aria-label="Skyflo"]').count(),
    runErrors: await page.getByTestId('run-error').allTextContents(),
    answerErrors: await page.getByTestId('answer-error').allTextContents(),
    warningText: await page.getByTestId('timeline').getByText('⚠').count(),
  };
}

/** The run has ended (the header no longer says it is working), so what the engine stored is complete. */
const settled = (page: Page) => page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === '');

describe('a failed model call, reloaded', () => {
  it('is one error with Retry, live and after a reload; after a good retry it stays in the history once', async () => {
    const { page } = stack;
    stack.llm.reset({ rules: [{ match: { always: true }, failure: { kind: 'status', status: 500 } }] });
    await askInChat(page, 'Why is checkout crash-looping?');
    await page.getByTestId('run-error').waitFor();
    await settled(page);
    const live = await failurePresentations(page);
    expect(live.runErrors).toHaveLength(1);
    expect(live.runErrors[0]).toMatch(/Retry$/);
    expect(live).toMatchObject({ answerErrors: [], warningText: 0, answerRows: 0 });

    await page.reload();
    await page.getByTestId('user-message').first().waitFor();
    const runError = page.getByTestId('run-error');
    await runError.waitFor();
    const reloaded = await failurePresentations(page);
    // the same single error, with the same words and its Retry
    expect(reloaded).toEqual(live);
    await runError.getByRole('button', { name: 'Retry' }).waitFor();
    await stack.screenshot('failed-run-reloaded');

    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: 'The checkout image tag does not exist.' }] });
    await runError.getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('timeline').getByText('The checkout image tag does not exist.').waitFor();
    await runError.waitFor({ state: 'detached' });
    await settled(page);
    const answered = await failurePresentations(page);
    expect(answered.runErrors).toEqual([]);
    expect(answered.answerErrors).toHaveLength(1);
    // the history says what failed in the engine's words: the text of the error that was shown with Retry
    expect(live.runErrors[0]).toContain(answered.answerErrors[0]!.trim());
    expect(answered.warningText).toBe(0);
    // the failed answer has its row again, with its note, above the good answer
    expect(answered.answerRows).toBe(2);

    await page.reload();
    await page.getByTestId('timeline').getByText('The checkout image tag does not exist.').waitFor();
    expect(await failurePresentations(page)).toEqual(answered);
  });
});
