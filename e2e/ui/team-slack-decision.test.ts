/**
 * A decision made in Slack shows in the Command Center (issue 24), in headless Chromium against a real engine
 * (kube-sim, llm-sim) and slack-sim: the change waits on the open chat page, the approver clicks Approve in Slack (a
 * signed interaction), the cluster changes, and the page — never reloaded — shows the decided card with who decided
 * (the Slack user's Skyflo e-mail) and why ("decided in Slack"); the Slack message says the same. Screenshot in
 * packages/ui/docs/.
 */
import path from 'node:path';
import { startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, askInChat, registerAndSignIn, scaleScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

const SIGNING_SECRET = 'slack-signing-secret-ui-0123456789';
const BOT_TOKEN = 'xoxb-skyflo-ui-token-2468';
const docsDir = path.join(repoRoot, 'packages', 'ui', 'docs');

let stack: UiStack;
let slack: SlackSim;

beforeAll(async () => {
  slack = await startSlackSim({ botToken: BOT_TOKEN });
  stack = await startUiStack();
  await registerAndSignIn(stack);
  const connected = await stack.page.request.post('/api/v1/integrations', {
    data: { provider: 'slack', name: 'ops', metadata: { channel: 'C_OPS', api_url: slack.apiUrl }, credentials: { bot_token: BOT_TOKEN, signing_secret: SIGNING_SECRET } },
  });
  expect(connected.status()).toBe(201);
  slack.addUser('U_ADA', ADMIN.email);
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
  await slack?.close();
}, 180_000);

describe('Slack decision in the Command Center', () => {
  it('a Slack click approves the waiting call and the open chat page shows who decided, without a reload', async () => {
    const { page } = stack;
    await page.goto('/');
    stack.llm.reset(scaleScript(4));
    await askInChat(page, 'Scale web to 4 replicas');
    const card = page.getByTestId('approval-card');
    await card.getByRole('button', { name: /^Approve/ }).first().waitFor();
    await page.evaluate(() => ((window as unknown as { __notReloaded?: boolean }).__notReloaded = true));

    await vi.waitFor(() => expect(slack.messages.size).toBe(1), { timeout: 60_000 });
    const message = [...slack.messages.values()][0]!;
    const click = await slack.click({ url: `${stack.url}/api/v1/integrations/slack/interactions`, signingSecret: SIGNING_SECRET, userId: 'U_ADA', message, actionId: 'approve' });
    expect(click.status).toBe(200);
    expect(JSON.parse(click.body)).toEqual({ detail: 'decided' });

    await expect.poll(() => stack.kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'), { timeout: 60_000 }).toBe('4');
    const note = page.getByTestId('decision-note');
    await note.waitFor({ timeout: 60_000 });
    expect(await note.getAttribute('data-decision')).toBe('approved');
    await expect.poll(() => note.getByTestId('decided-by').textContent(), { timeout: 60_000 }).toBe(ADMIN.email);
    expect(await note.getByTestId('decision-reason').textContent()).toBe('decided in Slack');
    expect(await page.getByTestId('approval-card').getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded)).toBe(true);
    expect(JSON.stringify(slack.messages.get(message.ts)!.blocks)).toContain(`Approved by ${ADMIN.email}`);
    expect(await stack.seriousA11yViolations()).toEqual([]);
    await page.screenshot({ path: path.join(docsDir, 'team-slack-decision.png') });
  });
});
