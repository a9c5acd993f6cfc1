/**
 * Issue 77 item 2, an external MCP client's change decided in Microsoft Teams: the call `skyflo mcp --confirm=skyflo`
 * hands to the engine is posted to the team's Teams conversation as an Adaptive Card (Approve / Deny), as any call
 * awaiting a decision is; approving it there (the person who proposed it, through the MCP server's token in their
 * name, clicks) runs it, and the client's task completes with the engine's result; a call the client cancels before
 * anyone decided says so on its card, with no buttons left.
 *
 * Real pieces as in external-mcp-client-tasks.test.ts (kube-sim read back with the real kubectl, the real MCP server
 * over HTTP, the engine on PGlite, llm-sim never asked), and teams-sim: the Bot Framework channel (OpenID metadata,
 * JWKS, token service, connector) whose signed Action.Execute invokes are the clicks.
 */
import { startTeamsSim, type TeamsSim, type TeamsSimActivity } from '@skyflo/testkit/teams-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken, startExternalClientStack, type ExternalClientStack } from './external-client-stack.ts';
import { callOf, rpc, textOf } from './mcp-wire.ts';

const APP_ID = '2f0d1c6e-8b1a-4f3e-9c55-0a7e4b9d6c21';
const APP_PASSWORD = 'teams-app-password~external-calls-9876';
const CONVERSATION = '19:ops-approvals@thread.tacv2';

let teams: TeamsSim;
let stack: ExternalClientStack;
let messagesUrl: string;

const cardText = (activity: Record<string, unknown>) => JSON.stringify((activity['attachments'] as Array<{ content: unknown }> | undefined)?.[0]?.content ?? activity);
/** the card Teams shows the clicker after an Action.Execute: the invoke answer's card */
const answerCard = (body: string) => {
  const answer = JSON.parse(body) as { statusCode?: number; type?: string; value?: unknown };
  expect(answer).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
  return JSON.stringify(answer.value);
};

/** The card posted to the team's Teams conversation for this call (it arrives shortly after the call awaits). */
async function cardFor(callId: string): Promise<TeamsSimActivity> {
  let found: TeamsSimActivity | undefined;
  await expect.poll(() => (found = teams.activities.find((entry) => cardText(entry.activity).includes(`"call_id":"${callId}"`))), { timeout: 30_000 }).toBeDefined();
  return found!;
}

/** A task for k8s_scale from the external client, and the engine's call it waits for. */
async function startTask(replicas: number): Promise<{ taskId: string; callId: string }> {
  const created = await rpc(stack.ideMcp.url, clientToken, 'tools/call', { name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas, namespace: 'default' } });
  expect(created.result, JSON.stringify(created.error)).toMatchObject({ resultType: 'task', status: 'input_required' });
  const taskId = created.result!['taskId'] as string;
  const waiting = await rpc(stack.ideMcp.url, clientToken, 'tasks/get', { taskId });
  return { taskId, callId: callOf(waiting.result!['inputRequests'].approve.params.url as string).callId };
}

beforeAll(async () => {
  teams = await startTeamsSim({ appId: APP_ID, appPassword: APP_PASSWORD });
  stack = await startExternalClientStack({ engineEnv: { TEAMS_OPENID_METADATA_URL: teams.openIdMetadataUrl }, engineApprovals: { taskPollMs: 100 } });
  messagesUrl = `${stack.baseUrl}/api/v1/integrations/teams/messages`;
  // the person (an admin) connects the team's Teams conversation; in Teams they are ops@example.com
  const connected = await stack.api(stack.session, 'POST', '/integrations', {
    provider: 'teams',
    name: 'ops',
    metadata: { app_id: APP_ID, tenant_id: 'contoso-tenant', conversation_id: CONVERSATION, service_url: teams.serviceUrl, login_url: teams.loginUrl },
    credentials: { app_password: APP_PASSWORD },
  });
  expect(connected.status).toBe(201);
  teams.addUser({ id: '29:ops', aadObjectId: 'aad-ops', email: 'ops@example.com', name: 'ops' });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await teams?.close();
});

describe("an external MCP client's change, decided in Teams", () => {
  it('its card is posted to the Teams conversation; approved there, it runs and the client gets the result', async () => {
    const before = await stack.replicas();
    const { taskId, callId } = await startTask(before + 2);
    const card = await cardFor(callId);
    expect(card.conversationId).toBe(CONVERSATION);
    const shown = cardText(card.activity);
    expect(shown).toContain(`scales deployment default/web to ${before + 2} replicas`);
    expect(shown).toContain(`+  replicas: ${before + 2}`);
    expect(shown).toContain("MCP client task-ide: k8s_scale");
    expect(shown).toContain('ops@example.com');
    expect(shown).toMatch(/"type":"Action.Execute","verb":"approve"/);
    expect(await stack.replicas()).toBe(before);

    const clicked = await teams.click({ url: messagesUrl, card, verb: 'approve', userId: '29:ops' });
    expect(clicked.status).toBe(200);
    expect(answerCard(clicked.body)).toContain('Approved by ops@example.com');
    let done: Record<string, any> | undefined;
    await expect.poll(async () => (done = (await rpc(stack.ideMcp.url, clientToken, 'tasks/get', { taskId })).result)?.['status'], { timeout: 60_000, interval: 100 }).toBe('completed');
    expect(done?.['result']?.isError, textOf(done?.['result'])).toBeFalsy();
    expect(textOf(done?.['result'])).toMatch(/scaled|replicas/i);
    expect(done?.['statusMessage']).toBe('k8s_scale ran as approved by ops@example.com.');
    expect(await stack.replicas()).toBe(before + 2);
    // the card everyone sees says who decided, with no buttons left
    await expect.poll(() => cardText(card.activity)).toContain('Approved by ops@example.com');
    expect(cardText(card.activity)).not.toContain('Action.Execute');
    expect(stack.sim.calls).toEqual([]);
  });

  it('cancelled by the client before anyone decided: its Teams card reads "Closed without a decision…", no buttons, nothing ran', async () => {
    const before = await stack.replicas();
    const { taskId, callId } = await startTask(before + 3);
    const card = await cardFor(callId);
    expect(cardText(card.activity)).toMatch(/"verb":"approve"/);
    await rpc(stack.ideMcp.url, clientToken, 'tasks/cancel', { taskId });
    expect((await rpc(stack.ideMcp.url, clientToken, 'tasks/get', { taskId })).result).toMatchObject({ status: 'cancelled' });
    await expect.poll(() => cardText(card.activity), { timeout: 30_000 }).toContain('Closed without a decision: cancelled by the MCP client that proposed it (with ops@example.com');
    expect(cardText(card.activity)).not.toContain('Action.Execute');
    // a click on the card as it was first shown decides nothing: the call is closed
    const stale = await teams.click({ url: messagesUrl, card, verb: 'approve', userId: '29:ops', stale: true });
    expect(answerCard(stale.body)).toContain('Skyflo did not record your decision');
    expect(await stack.replicas()).toBe(before);
  });
});
