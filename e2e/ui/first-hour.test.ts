/**
 * The Command Center day to day (issue 23, items 8–11), in real headless Chromium against a real engine: tool cards
 * that tell their calls apart and open on their output (YAML output highlighted), YAML in answers with keys and
 * strings in different colours in both themes, a failed model call shown as an error with Retry and a link to
 * Settings → Model, the model field offering the provider's models, and a queued message kept across a reload and
 * held after Stop until "Send now".
 */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { artifactsDir, askInChat, registerAndSignIn, screenshotOnFailure, slowScript, startUiStack, type UiStack } from './ui-stack.ts';

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

const timeline = () => stack.page.getByTestId('timeline');
const yamlAnswer = 'Here it is:\n\n```yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 2\n```\n';

describe('tool cards', () => {
  it('two calls of one tool show the arguments that differ; an opened card starts with its output, YAML highlighted', async () => {
    const { page } = stack;
    stack.llm.reset({
      rules: [
        {
          match: { lastRole: 'user' },
          reply: {
            toolCalls: [
              { name: 'k8s_get', arguments: { resource_type: 'pods', namespace: 'default', label_selector: 'app=web', all_namespaces: false } },
              { name: 'k8s_get', arguments: { resource_type: 'pods', namespace: 'default', label_selector: 'app=api', all_namespaces: false } },
            ],
          },
        },
        { match: { toolName: 'k8s_get', sequence: 2 }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'deployment', name: 'web', namespace: 'default', output: 'yaml', all_namespaces: false } }] } },
        { match: { toolName: 'k8s_get' }, reply: 'Done looking.' },
      ],
    });
    await askInChat(page, 'Look at the web and api pods');
    await timeline().getByText('Done looking.').waitFor();
    const argLabels = await timeline().getByTestId('tool-card-args').allTextContents();
    expect(argLabels).toEqual(expect.arrayContaining(['label_selector=app=web', 'label_selector=app=api', 'output=yaml']));

    const yamlCard = page.locator('[data-testid="tool-card"][data-tool="k8s_get"]').filter({ hasText: 'output=yaml' });
    await yamlCard.getByRole('button', { expanded: false }).click();
    const result = yamlCard.getByRole('figure').first();
    await result.getByText('Download').waitFor();
    // the output comes before the arguments, and its YAML keys are coloured
    const order = await yamlCard.evaluate((card) => Array.from(card.querySelectorAll("pre[aria-label]")).map((pre) => pre.getAttribute('aria-label')));
    expect(order[0]).toMatch(/^Result/);
    expect(order.at(-1)).toBe('Arguments');
    await yamlCard.locator('code[data-language="yaml"] .hljs-attr').first().waitFor();
    const download = page.waitForEvent('download');
    await result.getByText('Download').click();
    expect((await download).suggestedFilename()).toMatch(/^k8s_get-.+\.txt$/);
    await stack.screenshot('first-hour-tool-cards');
  });
});

describe('YAML in answers', () => {
  it('keys and strings have different colours, in the light and the dark theme, and axe finds nothing serious', async () => {
    const { page } = stack;
    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: yamlAnswer }] });
    await askInChat(page, 'Show me the web manifest');
    await timeline().locator('.hljs-attr').first().waitFor();
    const colours = async (target: typeof page) =>
      target.evaluate(() => ({
        attr: getComputedStyle(document.querySelector('.hljs-attr')!).color,
        string: getComputedStyle(document.querySelector('.hljs-string')!).color,
      }));
    const light = await colours(page);
    expect(light.attr).not.toBe(light.string);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await stack.screenshot('first-hour-yaml-light');

    const dark = await stack.browser.newContext({ baseURL: stack.url, viewport: { width: 1366, height: 860 }, colorScheme: 'dark', storageState: await stack.context.storageState() });
    const darkPage = await dark.newPage();
    await darkPage.goto(page.url());
    await darkPage.getByTestId('timeline').locator('.hljs-attr').first().waitFor();
    const darkColours = await colours(darkPage);
    expect(darkColours.attr).not.toBe(darkColours.string);
    await darkPage.screenshot({ path: path.join(artifactsDir, 'first-hour-yaml-dark.png') });
    await dark.close();
  });
});

describe('a failed model call', () => {
  it('is an error with Retry and, for an admin, a link to Settings → Model; Retry asks again', async () => {
    const { page } = stack;
    stack.llm.reset({ rules: [{ match: { always: true }, failure: { kind: 'status', status: 500 } }] });
    await askInChat(page, 'Anything broken?');
    const alert = page.getByTestId('run-error');
    await alert.waitFor();
    await alert.getByRole('link', { name: 'Settings → Model' }).waitFor();
    // the engine's reason is text, not a link to an internal address
    expect(await alert.getByRole('link').count()).toBe(1);
    await stack.screenshot('first-hour-model-error');

    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: 'All good now.' }] });
    await alert.getByRole('button', { name: 'Retry' }).click();
    await timeline().getByText('All good now.').waitFor();
    expect(await timeline().getByTestId('user-message').allTextContents()).toEqual(['Anything broken?', 'Anything broken?']);

    await alert.waitFor({ state: 'detached' });
  });

  it('the model field offers the chosen provider\'s models', async () => {
    const { page } = stack;
    await page.goto('/settings#model');
    await page.getByLabel('Provider').selectOption('openai');
    const options = await page.getByTestId('llm-model-options').locator('option').evaluateAll((nodes) => nodes.map((node) => (node as HTMLOptionElement).value));
    expect(options.length).toBeGreaterThan(0);
    expect(await page.getByRole('combobox', { name: 'Model' }).getAttribute('list')).toBe('llm-model-options');
  });
});

describe('the queue', () => {
  it('a queued message survives a reload without sending itself, and goes on "Send now"', async () => {
    const { page } = stack;
    stack.llm.reset(slowScript(60, 40));
    await askInChat(page, 'A slow answer please');
    await timeline().getByText('line 2', { exact: true }).waitFor();
    await page.getByRole('textbox', { name: 'Message' }).fill('Queued before the reload');
    await page.keyboard.press('Enter');
    await page.getByTestId('queue').getByText('1 queued').waitFor();
    await page.reload();
    const queue = page.getByTestId('queue');
    await queue.getByText('Queued before the reload').waitFor();
    await queue.getByText(/Not sent after Stop or a reload/).waitFor();
    // the run ends; the restored message still waits
    await timeline().getByText('line 59', { exact: true }).waitFor({ timeout: 90_000 });
    await page.getByTestId('run-status').getByText('Working…').waitFor({ state: 'detached', timeout: 60_000 });
    expect(await timeline().getByTestId('user-message').allTextContents()).toEqual(['A slow answer please']);
    await stack.screenshot('first-hour-queue-after-reload');

    stack.llm.reset({ rules: [{ match: { lastRole: 'user' }, reply: 'Answered the queued one.' }] });
    await page.getByRole('button', { name: 'Send now: Queued before the reload' }).click();
    await timeline().getByText('Answered the queued one.').waitFor();
    await queue.waitFor({ state: 'detached' });
  });

  it('after Stop a queued message waits; Discard drops it', async () => {
    const { page } = stack;
    stack.llm.reset(slowScript(400, 20));
    await askInChat(page, 'Another slow answer');
    await timeline().getByText('line 2', { exact: true }).waitFor();
    await page.getByRole('textbox', { name: 'Message' }).fill('Queued before Stop');
    await page.keyboard.press('Enter');
    await page.getByTestId('queue').getByText('1 queued').waitFor();
    await page.getByRole('button', { name: 'Stop the run' }).click();
    await page.getByTestId('run-status').getByText('Stopped').waitFor();
    const queue = page.getByTestId('queue');
    await queue.getByText(/Not sent after Stop/).waitFor();
    expect(await timeline().getByTestId('user-message').allTextContents()).toEqual(['Another slow answer']);
    await stack.screenshot('first-hour-queue-after-stop');
    await page.getByRole('button', { name: 'Discard: Queued before Stop' }).click();
    await queue.waitFor({ state: 'detached' });
    await page.reload();
    await timeline().getByText('line 2', { exact: true }).waitFor();
    expect(await page.getByTestId('queue').count()).toBe(0);
    expect(await timeline().getByTestId('user-message').allTextContents()).toEqual(['Another slow answer']);
  });
});
