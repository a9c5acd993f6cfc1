/**
 * Issue 80 item 7, in real Chromium: when the engine answers with the sandbox's demo model (no model key), the home page
 * says so — a "Demo model" note, the composer's placeholder and the question chips are the sandbox's own incidents —
 * and a chip starts the conversation that model knows. With any other model the page offers its usual questions.
 */
import { sandboxDemoModel, sandboxDemoQuestions } from '@skyflo/protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerAndSignIn, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

let stack: UiStack;

beforeAll(async () => {
  stack = await startUiStack({ env: { LLM_MODEL: `openai-compatible/${sandboxDemoModel}` } });
  await registerAndSignIn(stack);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

describe('the home page with the demo model', () => {
  it('labels the demo model and offers the questions it knows', async () => {
    const { page } = stack;
    await page.goto('/');
    const note = page.getByRole('note', { name: 'Demo model' });
    await note.waitFor();
    expect(await note.textContent()).toContain('without a model key');
    expect(await page.getByRole('textbox').first().getAttribute('placeholder')).toContain(sandboxDemoQuestions[0]);
    for (const question of sandboxDemoQuestions) await page.getByRole('button', { name: question }).waitFor();
    expect(await page.getByRole('button', { name: 'Show me the deployments in default' }).count()).toBe(0);
    await stack.screenshot('home-demo-model');
    // a chip starts a conversation with that question
    stack.llm.reset({ rules: [{ match: { always: true }, reply: 'Demo model: looking.' }] });
    await page.getByRole('button', { name: sandboxDemoQuestions[0] }).click();
    await page.waitForURL(/\/chat\//);
    await page.getByText('Demo model: looking.').waitFor();
    // the question asked is the chip's, sent to the model named skyflo-demo
    expect(stack.llm.calls.at(-1)).toMatchObject({ model: sandboxDemoModel });
    expect(JSON.stringify(stack.llm.calls.at(-1)?.messages)).toContain(sandboxDemoQuestions[0]);
  });
});
