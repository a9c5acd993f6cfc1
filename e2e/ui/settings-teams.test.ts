/**
 * Microsoft Teams from the Integrations page (issue 39), in headless Chromium against a real engine (kube-sim,
 * llm-sim) and teams-sim as the Bot Framework channel: an admin connects the bot (app id, password, tenant,
 * conversation), tests it, copies the messaging endpoint; the password never comes back. Then a scale asked in the
 * Command Center is posted to Teams as a card, approved there by a click, and the conversation shows who approved.
 */
import { startTeamsSim, type TeamsSim } from '@skyflo/testkit/teams-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN, askInChat, registerAndSignIn, scaleScript, screenshotOnFailure, startUiStack, type UiStack } from './ui-stack.ts';

vi.setConfig({ testTimeout: 180_000 });

const APP_ID = '3f8a2b1c-7d6e-4f5a-9b8c-0d1e2f3a4b5c';
const APP_PASSWORD = 'teams-ui-app-password~9753';
const CONVERSATION = '19:ui-approvals@thread.tacv2';

let stack: UiStack;
let teams: TeamsSim;

beforeAll(async () => {
  teams = await startTeamsSim({ appId: APP_ID, appPassword: APP_PASSWORD });
  stack = await startUiStack({ env: { TEAMS_OPENID_METADATA_URL: teams.openIdMetadataUrl } });
  await registerAndSignIn(stack);
  teams.addUser({ id: '29:ada', aadObjectId: 'aad-ada', email: ADMIN.email, name: 'Ada' });
}, 180_000);

beforeEach(screenshotOnFailure(() => stack));

afterAll(async () => {
  await stack?.close();
  await teams?.close();
}, 180_000);

describe('Microsoft Teams', () => {
  it('connect from the Integrations page, test, copy the messaging endpoint; the password never comes back', async () => {
    const { page } = stack;
    await stack.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    await page.goto('/integrations');
    const form = page.getByRole('region', { name: 'Add Microsoft Teams' });
    const endpoint = `${stack.url}/api/v1/integrations/teams/messages`;
    await expect.poll(async () => form.getByTestId('teams-messaging-endpoint').textContent().catch(() => null), { timeout: 30_000 }).toBe(endpoint);
    await form.getByLabel('Name').fill('ops');
    await form.getByLabel('Microsoft App ID').fill(APP_ID);
    await form.getByLabel('App password').fill(APP_PASSWORD);
    await form.getByLabel('Tenant ID').fill('contoso-tenant');
    await form.getByLabel('Conversation ID').fill(CONVERSATION);
    await form.getByLabel('Bot Framework service URL (optional)').fill(teams.serviceUrl);
    await form.getByLabel('Token service URL (optional)').fill(teams.loginUrl);
    await form.getByRole('button', { name: 'Connect Teams' }).click();

    const card = page.getByTestId('teams-card');
    await card.getByText('Active', { exact: true }).waitFor();
    await card.getByText(`app password …${APP_PASSWORD.slice(-4)}`, { exact: false }).waitFor();
    expect(await page.getByRole('region', { name: 'Add Microsoft Teams' }).count()).toBe(0);
    expect(await card.getByTestId('teams-messaging-endpoint').textContent()).toBe(endpoint);
    await card.getByRole('button', { name: 'Copy the messaging endpoint' }).click();
    await card.getByRole('button', { name: 'Copy the messaging endpoint' }).getByText('Copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(endpoint);

    await card.getByRole('button', { name: 'Test' }).click();
    await card.getByRole('status').getByText('Connected; a test message was posted in the conversation.').waitFor();
    expect(teams.activities.map((entry) => [entry.conversationId, entry.activity['text']])).toEqual([[CONVERSATION, 'Skyflo test: approval requests will be posted in this conversation.']]);

    expect(await (await stack.context.request.get('/api/v1/integrations')).text()).not.toContain(APP_PASSWORD);
    await page.reload();
    await card.waitFor();
    expect(await page.content()).not.toContain(APP_PASSWORD);
    expect(await stack.seriousA11yViolations()).toEqual([]);
  });

  it('a change asked in the Command Center is approved from its Teams card; the conversation shows who approved', async () => {
    const { page, llm } = stack;
    llm.reset(scaleScript(3));
    const chatPath = await askInChat(page, 'Scale web to 3 replicas');
    await page.getByTestId('approval-card').getByRole('button', { name: /^Approve/ }).first().waitFor();
    let posted: TeamsSim['activities'][number] | undefined;
    await vi.waitFor(() => {
      posted = teams.activities.find((entry) => Array.isArray(entry.activity['attachments']));
      expect(posted).toBeDefined();
    }, 30_000);
    const clicked = await teams.click({ url: `${stack.url}/api/v1/integrations/teams/messages`, card: posted!, verb: 'approve', userId: '29:ada' });
    expect(clicked.status).toBe(200);
    expect(clicked.body).toContain(`Approved by ${ADMIN.email}`);
    await expect.poll(() => stack.kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}'), { timeout: 60_000 }).toBe('3');
    await page.goto(chatPath);
    const note = page.getByTestId('decision-note').first();
    await note.getByTestId('decided-by').getByText(ADMIN.email).waitFor();
    expect(await note.getAttribute('data-decision')).toBe('approved');
    await note.getByTestId('decision-reason').getByText('decided in Teams').waitFor();
  });
});
