/**
 * Alert-triggered investigations (issue 24): an Alertmanager payload (bearer API token with alerts:write) for a
 * crash-looping pod opens one investigation conversation owned by the token's user, which reads and ends with a
 * diagnosis — no write runs — and the conclusion goes to the notifiers (a webhook subscribed to alert.investigated);
 * a repeat of the group with the same alert firing adds a line to it (no model run), a changed set is investigated
 * again with the change named, `resolved` closes it; an alert that asks for a change gets a proposal that waits
 * for a human (the token cannot decide it); over the concurrency limit an alert is queued and reported, then runs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const DIAGNOSIS = 'Diagnosis: pod web-7d9 is in CrashLoopBackOff: its container exits with code 1 because DATABASE_URL is missing.';

let sim: LlmSim;
let team: TeamEngine;
let admin: string;
let mia: string;
let alertToken: string;
let receiver: Server;
const hooks: Array<Record<string, any>> = [];

const crashLoop = (status: 'firing' | 'resolved', alsoFiring: string[] = []) => ({
  version: '4',
  groupKey: '{}:{alertname="KubePodCrashLooping", namespace="default"}',
  status,
  receiver: 'skyflo',
  groupLabels: { alertname: 'KubePodCrashLooping' },
  commonLabels: alsoFiring.length === 0 ? { alertname: 'KubePodCrashLooping', namespace: 'default', pod: 'web-7d9', severity: 'warning' } : { alertname: 'KubePodCrashLooping', namespace: 'default' },
  commonAnnotations: { summary: 'Pod default/web-7d9 is crash looping' },
  alerts: [
    { status, labels: { alertname: 'KubePodCrashLooping', namespace: 'default', pod: 'web-7d9' }, annotations: { description: 'Pod default/web-7d9 (web) is restarting 3 times / 5 minutes.' }, startsAt: '2026-11-22T23:00:00Z', generatorURL: 'http://prometheus.example/graph?g0.expr=kube_pod_restarts' },
    ...alsoFiring.map((pod) => ({ status, labels: { alertname: 'KubePodCrashLooping', namespace: 'default', pod }, annotations: {}, startsAt: '2026-11-22T23:05:00Z' })),
  ],
});

const investigated = async () => (await team.lite.query<{ conversation_id: string }>("SELECT conversation_id FROM audit_events WHERE action = 'alert.investigated' ORDER BY sequence")).rows.map((row) => row.conversation_id);
const lastAnswer = async (conversationId: string) => {
  const messages = (await team.call(mia, 'GET', `/conversations/${conversationId}`)).json().messages as Array<{ type: string; segments?: Array<{ kind: string; text?: string }> }>;
  return (messages.filter((entry) => entry.type === 'assistant').at(-1)?.segments ?? []).filter((segment) => segment.kind === 'text').map((segment) => segment.text).join('');
};

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  team = await startTeamEngine(sim, { ALERT_MAX_CONCURRENT_INVESTIGATIONS: '1' });
  admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  alertToken = (await team.call(mia, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token;
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      hooks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts-out`;
  expect((await team.call(admin, 'POST', '/integrations', { provider: 'webhook', name: 'oncall', metadata: { url, events: ['alert.investigated'] }, credentials: { secret: 'alert-webhook-secret-123456' } })).statusCode).toBe(201);
  sim.reset({
    rules: [
      { match: { toolName: 'k8s_get' }, reply: DIAGNOSIS },
      { match: { toolName: 'load_toolset', userContains: 'PLEASE SCALE' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', replicas: 0 } }] } },
      { match: { userContains: 'PLEASE SCALE' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { always: true }, reply: { toolCalls: [{ name: 'k8s_get', arguments: { resource_type: 'pods', namespace: 'default' } }] } },
    ],
  });
});

afterAll(async () => {
  await team?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await sim?.close();
});

const post = (url: string, body: Record<string, unknown>, token = alertToken) => team.call(token, 'POST', url, body);

describe('alert-triggered investigations', () => {
  it('needs alerts:write; a chat-only token is refused', async () => {
    const chatOnly = (await team.call(mia, 'POST', '/auth/tokens', { name: 'chat', scopes: ['chat'] })).json().token;
    expect((await post('/alerts/alertmanager', crashLoop('firing'), chatOnly)).statusCode).toBe(403);
    expect((await post('/alerts/alertmanager', { status: 'firing' })).json().detail).toMatch(/groupKey/);
  });

  it('a crash-looping pod opens one investigation that reads, ends with a diagnosis and runs no write; repeats add to it; resolved closes it', async () => {
    team.engine.mcp.replicas.set('web', 2);
    const opened = await post('/alerts/alertmanager', crashLoop('firing'));
    expect(opened.statusCode).toBe(202);
    expect(opened.json()).toMatchObject({ status: 'investigating', conversation_id: expect.any(String) });
    const conversationId = opened.json().conversation_id as string;
    await vi.waitFor(async () => expect(await investigated()).toEqual([conversationId]), { timeout: 30_000 });

    const conversation = (await team.call(mia, 'GET', `/conversations/${conversationId}`)).json();
    expect(conversation.title).toBe('Alert: KubePodCrashLooping default/web-7d9');
    expect(await lastAnswer(conversationId)).toBe(DIAGNOSIS);
    expect(team.engine.mcp.calls.map((call) => call.name)).toEqual(['k8s_get']);
    expect(team.engine.mcp.replicas.get('web')).toBe(2);
    await vi.waitFor(() => expect(hooks).toEqual([expect.objectContaining({ event: 'alert.investigated', data: expect.objectContaining({ conversation_id: conversationId, conclusion: DIAGNOSIS, conversation_title: 'KubePodCrashLooping default/web-7d9' }) })]));

    // the same alert again (Alertmanager's repeat_interval, or its restart): a line on the investigation, no model run
    const modelCalls = sim.calls.length;
    const again = await post('/alerts/alertmanager', crashLoop('firing'));
    expect(again.json()).toMatchObject({ status: 'noted', conversation_id: conversationId, detail: expect.stringMatching(/no new model run/) });
    const noted = (await team.call(mia, 'GET', `/conversations/${conversationId}`)).json().messages as Array<{ type: string; alert?: Record<string, any> }>;
    expect(noted.map((entry) => entry.type)).toEqual(['alert', 'assistant']);
    expect(noted[0]!.alert!['notes']).toEqual([{ at: expect.any(Number), text: 'Fired again: the same 1 alert firing.' }]);
    expect(sim.calls.length).toBe(modelCalls);
    expect(await investigated()).toEqual([conversationId]);

    // a second pod starts crash-looping: what fires changed, so it is investigated again, told what changed
    const changed = await post('/alerts/alertmanager', crashLoop('firing', ['web-8f2']));
    expect(changed.json()).toMatchObject({ status: 'noted', conversation_id: conversationId });
    await vi.waitFor(async () => expect(await investigated()).toEqual([conversationId, conversationId]), { timeout: 30_000 });
    const listed = (await team.call(mia, 'GET', '/conversations')).json();
    expect(JSON.stringify(listed).match(/Alert: KubePodCrashLooping/g)).toHaveLength(1);
    // Issue 37 item 9: each run's entry is the alert itself (labels, annotations, the rule's link), not the engine's
    // instruction as a chat bubble of the user; the model is still given the instruction.
    const entries = (await team.call(mia, 'GET', `/conversations/${conversationId}`)).json().messages as Array<{ type: string; content?: string; alert?: Record<string, unknown> }>;
    expect(entries[0]).toMatchObject({
      type: 'alert',
      alert: {
        title: 'KubePodCrashLooping',
        status: 'firing',
        source: 'alertmanager',
        receiver: 'skyflo',
        labels: { alertname: 'KubePodCrashLooping', namespace: 'default', pod: 'web-7d9', severity: 'warning' },
        annotations: { summary: 'Pod default/web-7d9 is crash looping' },
        links: [{ label: 'rule (generatorURL)', url: 'http://prometheus.example/graph?g0.expr=kube_pod_restarts' }],
        count: 1,
      },
    });
    expect(entries.map((entry) => entry.type)).toEqual(['alert', 'assistant', 'alert', 'assistant']);
    expect(entries[2]!.alert).toMatchObject({ count: 2, notes: [{ at: expect.any(Number), text: 'Changed since the last investigation: 1 started firing: pod=web-8f2 (2 firing now).' }] });
    expect(JSON.stringify(entries)).not.toMatch(/An alert fired|The alert group changed/);
    const asked = sim.calls.flatMap((call) => call.messages).filter((message) => message.role === 'user').map((message) => String(message.content));
    expect(asked.some((text) => text.startsWith('An alert fired. Investigate it with read-only tools'))).toBe(true);
    expect(asked.some((text) => text.startsWith('The alert group changed: 1 started firing: pod=web-8f2 (2 firing now).'))).toBe(true);

    const resolved = await post('/alerts/alertmanager', crashLoop('resolved'));
    expect(resolved.json()).toMatchObject({ status: 'closed', conversation_id: conversationId });
    const closed = (await team.call(mia, 'GET', `/conversations/${conversationId}`)).json();
    expect(closed.title).toBe('[resolved] Alert: KubePodCrashLooping default/web-7d9');
    // every alert is in the audit trail under the token's owner
    const miaId = (await team.call(mia, 'GET', '/auth/me')).json().id;
    const received = (await team.lite.query<{ actor_id: string; details: Record<string, unknown> }>("SELECT actor_id, details FROM audit_events WHERE action = 'alert.received' ORDER BY sequence")).rows;
    expect(received.map((row) => [row.actor_id, row.details['status']])).toEqual([
      [miaId, 'firing'],
      [miaId, 'firing'],
      [miaId, 'firing'],
      [miaId, 'resolved'],
    ]);
  });

  it('an alert that asks for a change gets a proposal that waits for a human; the alert token cannot decide it', async () => {
    const calls = team.engine.mcp.calls.length;
    const opened = await post('/alerts', { title: 'Web is too expensive', description: 'PLEASE SCALE web to 0 replicas now', labels: { team: 'web' } });
    expect(opened.json()).toMatchObject({ status: 'investigating' });
    const conversationId = opened.json().conversation_id as string;
    await vi.waitFor(async () => expect(await investigated()).toContain(conversationId), { timeout: 30_000 });
    const [approval] = (await team.lite.query<{ call_id: string; status: string; args_hash: string; tool: string }>('SELECT call_id, status, args_hash, tool FROM approvals WHERE conversation_id = $1', [conversationId])).rows;
    expect(approval).toMatchObject({ tool: 'k8s_scale', status: 'awaiting' });
    expect(team.engine.mcp.calls.slice(calls).map((call) => call.name)).not.toContain('k8s_scale');
    expect(team.engine.mcp.replicas.get('web')).toBe(2);
    const decided = await team.call(alertToken, 'POST', `/agent/approvals/${approval!.call_id}`, { approve: true, conversation_id: conversationId, args_hash: approval!.args_hash });
    expect(decided.statusCode).toBe(403);
    expect(decided.json().detail).toMatch(/lacks the scope chat/);
    expect((await team.lite.query<{ status: string }>('SELECT status FROM approvals WHERE conversation_id = $1', [conversationId])).rows[0]?.status).toBe('awaiting');
  });

  it('over the limit an alert is queued and reported, then investigated (never dropped)', async () => {
    const before = (await investigated()).length;
    const first = await post('/alerts', { title: 'Disk pressure on node-1', description: 'node-1 has DiskPressure' });
    const second = await post('/alerts', { title: 'Disk pressure on node-2', description: 'node-2 has DiskPressure' });
    expect(first.json()).toMatchObject({ status: 'investigating' });
    expect(second.json()).toMatchObject({ status: 'queued', position: 0, detail: expect.stringMatching(/the limit is 1, ALERT_MAX_CONCURRENT_INVESTIGATIONS/) });
    await vi.waitFor(async () => expect((await investigated()).slice(before)).toEqual([first.json().conversation_id, second.json().conversation_id]), { timeout: 60_000 });
    expect(await lastAnswer(second.json().conversation_id)).toBe(DIAGNOSIS);
  });
});
