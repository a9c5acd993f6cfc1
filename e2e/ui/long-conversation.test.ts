/**
 * A long conversation in real headless Chromium: 250 turns (500 timeline entries with tool cards, thinking, tables
 * and code) made through POST /agent/chat. It opens scrolled to its last answer with only the entries near the
 * viewport in the DOM, scrolling up reveals the first message with the entries in order (none overlapping), a
 * streamed answer is followed only while the reader stays at the end, an approval card keeps its focus and typed
 * reason while the reader scrolls away and back, and "Copy text" puts the answer on the clipboard as plain text.
 * Screenshots of the top and the bottom go to artifacts/ui/.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLongConversation, question } from './long-conversation.ts';
import { registerAndSignIn, scaleScript, screenshotOnFailure, slowScript, startUiStack, type UiStack } from './ui-stack.ts';

// A loaded 2-core machine (another suite running beside this one) can take far longer than an idle one.
vi.setConfig({ testTimeout: 180_000 });

const TURNS = 250;
let stack: UiStack;
let conversationId: string;

beforeAll(async () => {
  // 250 turns are built through the API in about a minute, with the signed-in page refreshing its lists and
  // notifications beside them: more than a person's 600 requests a minute, so this stack allows more.
  stack = await startUiStack({ env: { RATE_LIMIT_PER_MINUTE: '6000' } });
  await registerAndSignIn(stack);
  await stack.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
  conversationId = await createLongConversation(stack, TURNS);
}, 600_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
}, 180_000);

const timeline = () => stack.page.getByTestId('timeline');
const answer = (index: number) => timeline().locator('article[aria-label="Skyflo"]').filter({ hasText: question(index) });
const scroller = () => timeline().locator('xpath=..');
const distanceFromEnd = () => scroller().evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight);
const scrollTop = () => scroller().evaluate((element) => element.scrollTop);

/** Whether an element is inside the scroller's visible area. */
const inView = (locator: ReturnType<typeof answer>) =>
  locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    const view = element.closest('.overflow-y-auto')!.getBoundingClientRect();
    return box.bottom > view.top && box.top < view.bottom;
  });

/** The mounted entries, in timeline order: each starts at or below where the one before it ends. */
const overlaps = () =>
  timeline().evaluate((element) => {
    const rows = Array.from(element.querySelectorAll<HTMLElement>('[data-index]')).map((row) => ({ index: Number(row.dataset['index']), box: row.getBoundingClientRect() })).sort((a, b) => a.index - b.index);
    return rows.filter((row, i) => i > 0 && row.box.top < rows[i - 1].box.bottom - 0.5).map((row) => row.index);
  });

async function openConversation(): Promise<void> {
  await stack.page.goto(`/chat/${conversationId}`);
  await timeline().locator('[data-index]').last().waitFor();
}

describe('a 500-entry conversation', () => {
  it('opens scrolled to its last answer, with only the entries near the viewport in the DOM', async () => {
    await openConversation();
    expect(await inView(answer(TURNS - 1))).toBe(true);
    expect(await distanceFromEnd()).toBeLessThan(2);
    expect(await scrollTop()).toBeGreaterThan(10_000);
    expect(await timeline().locator('[data-index]').count()).toBeLessThan(30);
    expect(await timeline().getByTestId('user-message').filter({ hasText: question(0) }).count()).toBe(0);
    expect(await overlaps()).toEqual([]);
    await stack.screenshot('30-long-conversation-bottom');
  });

  it('scrolling up reveals the first message, the entries in order and never overlapping', async () => {
    const { page } = stack;
    await openConversation();
    // the wheel, as a reader scrolls: entries measured on the way up must not move what is on screen
    await scroller().hover();
    for (let step = 0; step < 8; step += 1) {
      await page.mouse.wheel(0, -700);
      await page.waitForTimeout(50);
      expect(await overlaps()).toEqual([]);
    }
    await scroller().evaluate((element) => element.scrollTo({ top: 0 }));
    const first = timeline().getByTestId('user-message').filter({ hasText: question(0) });
    await first.waitFor();
    await answer(0).getByRole('cell', { name: '2/2' }).waitFor();
    expect(await inView(first)).toBe(true);
    expect(await overlaps()).toEqual([]);
    await stack.screenshot('31-long-conversation-top');
  });

  it('"Copy text" copies the answer without Markdown, the table as aligned columns; "Copy Markdown" the source', async () => {
    const { page } = stack;
    await openConversation();
    const table = answer(TURNS - 2); // a k8s_get answer: a tool card, then text with a table
    await table.scrollIntoViewIfNeeded();
    await table.hover();
    await table.getByRole('button', { name: 'Copy text' }).click();
    await table.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      [
        `You asked: ${question(TURNS - 2)} Only web runs in default.`,
        'Deployment  Ready  Image\n----------  -----  ----------\nweb         2/2    nginx:1.27',
        'Both replicas passed their readiness probe.',
      ].join('\n\n'),
    );
    const code = answer(TURNS - 1);
    await code.hover();
    await code.getByRole('button', { name: 'Copy text' }).click();
    await code.getByRole('button', { name: 'Copied' }).waitFor();
    const plain = await page.evaluate(() => navigator.clipboard.readText());
    expect(plain).toContain('apiVersion: apps/v1\nkind: Deployment');
    expect(plain).not.toContain('```');
    expect(plain).not.toContain('*');
    await code.getByRole('button', { name: 'Copy Markdown' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('```yaml\napiVersion: apps/v1');
  });

  it('follows a streamed answer only while the reader stays at the end', async () => {
    const { page } = stack;
    await openConversation();
    stack.llm.reset(slowScript(150, 20));
    await page.getByRole('textbox', { name: 'Message' }).fill('Stream a long answer at the end');
    await page.keyboard.press('Enter');
    await timeline().getByText('line 10', { exact: true }).waitFor();
    expect(await distanceFromEnd()).toBeLessThan(80);
    // scrolling up to read stops the following: the view stays where the reader left it while the answer grows
    await scroller().hover();
    await page.mouse.wheel(0, -1200);
    await page.waitForTimeout(200);
    const reading = await scrollTop();
    const grownFrom = await distanceFromEnd();
    await timeline().getByText('line 60', { exact: true }).waitFor();
    expect(Math.abs((await scrollTop()) - reading)).toBeLessThan(2);
    expect(await distanceFromEnd()).toBeGreaterThan(grownFrom);
    await stack.screenshot('32-long-conversation-reading-while-streaming');
    // back at the end, it follows again
    await scroller().evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
    await timeline().getByText('line 100', { exact: true }).waitFor();
    expect(await distanceFromEnd()).toBeLessThan(80);
    await page.getByTestId('run-status').getByText('Working…').waitFor({ state: 'detached', timeout: 60_000 });
    await page.waitForTimeout(200);
    expect(await distanceFromEnd()).toBeLessThan(80);
    expect(await inView(timeline().getByText('line 149', { exact: true }))).toBe(true);
    expect(await overlaps()).toEqual([]);
  });

  it('an approval card keeps its focus and typed reason while the reader scrolls to the top and back', async () => {
    const { page } = stack;
    await openConversation();
    stack.llm.reset(scaleScript(1, 'Understood, web stays as it is.'));
    await page.getByRole('textbox', { name: 'Message' }).fill('Scale web down to 1');
    await page.keyboard.press('Enter');
    const card = page.getByTestId('approval-card');
    await card.waitFor();
    expect(await inView(card)).toBe(true);
    await stack.screenshot('33-long-conversation-approval');
    await card.getByLabel('Reason (optional)').fill('not during the long read');
    // a deliberate move into the card (a click) is what lets the D key decide it (issue 19)
    await card.getByRole('heading', { level: 3 }).click();
    await scroller().evaluate((element) => element.scrollTo({ top: 0 }));
    await timeline().getByTestId('user-message').filter({ hasText: question(0) }).waitFor();
    await scroller().evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
    await page.waitForTimeout(200);
    expect(await card.evaluate((element) => element === document.activeElement)).toBe(true);
    expect(await card.getByLabel('Reason (optional)').inputValue()).toBe('not during the long read');
    // the card takes a decision once the turn has paused for it (while it streams, the hint says it is locked): on a
    // loaded machine the pause can come after the scrolling above
    await card.getByTestId('approval-hint').getByText('A approves, D denies.').waitFor({ timeout: 60_000 });
    await page.keyboard.press('d');
    await timeline().getByText('Understood, web stays as it is.').waitFor();
    await page.locator('[data-testid="tool-card"][data-tool="k8s_scale"][data-status="denied"]').waitFor();
    expect(await stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
  });
});
