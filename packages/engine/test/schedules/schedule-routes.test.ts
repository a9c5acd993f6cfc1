/**
 * Issue 81, /schedules on one engine (PGlite, llm-sim): who may manage which schedule, "run now" making a conversation
 * of the owner whose findings are compared with the previous run's (the notification says only what changed), and a
 * read-only schedule's proposed change refused by the gate (nothing awaits approval, the cluster is untouched).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startTeamsSim } from '@skyflo/testkit/teams-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openNotificationStream, startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

let sim: LlmSim;
let team: TeamEngine;
let admin: string;
let mia: string;
let leo: string;

const body = (overrides: Record<string, unknown> = {}) => ({ name: 'prod morning', schedule: '0 8 * * 1-5', time_zone: 'Europe/Berlin', prompt: 'Anything crash-looping in prod?', ...overrides });

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  team = await startTeamEngine(sim);
  admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  leo = await team.member(admin, 'leo@example.com', 'member');
});

afterAll(async () => {
  await team?.close();
  await sim?.close();
});

async function runNow(token: string, id: string) {
  const asked = await team.call(token, 'POST', `/schedules/${id}/run`);
  expect(asked.statusCode, asked.body).toBe(202);
  const runId = asked.json().id as string;
  await team.engine.engine.schedules.idle();
  const runs = (await team.call(token, 'GET', `/schedules/${id}/runs`)).json().data as Array<Record<string, any>>;
  return runs.find((run) => run.id === runId)!;
}

describe('who may manage a schedule', () => {
  it('members manage their own, admins everyone\'s; others get 404; no token 401; nonsense 400', async () => {
    const created = await team.call(mia, 'POST', '/schedules', body());
    expect(created.statusCode, created.body).toBe(201);
    const schedule = created.json();
    expect(schedule).toMatchObject({ name: 'prod morning', mode: 'read_only', notify: ['in_app'], enabled: true, owner_email: 'mia@example.com' });
    expect(typeof schedule.next_run_at).toBe('string');

    expect((await team.call(undefined, 'GET', '/schedules')).statusCode).toBe(401);
    // API tokens have no scope for schedules (deny by default), whatever scopes they hold
    const apiToken = (await team.call(mia, 'POST', '/auth/tokens', { name: 'ci', scopes: ['chat', 'approvals:write', 'alerts:write'] })).json().token as string;
    expect((await team.call(apiToken, 'GET', '/schedules')).statusCode).toBe(403);
    expect((await team.call(apiToken, 'POST', '/schedules', body())).statusCode).toBe(403);
    expect((await team.call(leo, 'GET', `/schedules/${schedule.id}`)).statusCode).toBe(404);
    expect((await team.call(leo, 'PUT', `/schedules/${schedule.id}`, body({ name: 'mine now' }))).statusCode).toBe(404);
    expect((await team.call(leo, 'DELETE', `/schedules/${schedule.id}`)).statusCode).toBe(404);
    expect((await team.call(leo, 'POST', `/schedules/${schedule.id}/run`)).statusCode).toBe(404);
    expect((await team.call(leo, 'GET', `/schedules/${schedule.id}/runs`)).statusCode).toBe(404);
    expect((await team.call(leo, 'GET', '/schedules')).json().data).toEqual([]);
    expect((await team.call(admin, 'GET', '/schedules')).json().data.map((item: { id: string }) => item.id)).toContain(schedule.id);

    const badCron = await team.call(mia, 'POST', '/schedules', body({ schedule: '* * * * * *' }));
    expect(badCron.statusCode).toBe(400);
    expect(badCron.json().detail).toMatch(/five fields/);
    expect((await team.call(mia, 'POST', '/schedules', body({ time_zone: 'Mars/Base' }))).statusCode).toBe(400);
    expect((await team.call(mia, 'POST', '/schedules', body({ mode: 'anything' }))).statusCode).toBe(400);

    const renamed = await team.call(admin, 'PUT', `/schedules/${schedule.id}`, body({ name: 'prod morning check', enabled: false }));
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'prod morning check', enabled: false, next_run_at: null, owner_id: schedule.owner_id });

    expect((await team.call(mia, 'DELETE', `/schedules/${schedule.id}`)).statusCode).toBe(204);
    expect((await team.call(mia, 'GET', `/schedules/${schedule.id}`)).statusCode).toBe(404);
    const audited = (await team.lite.query<{ action: string }>("SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY sequence", [schedule.id])).rows.map((row) => row.action);
    expect(audited).toEqual(['schedule.created', 'schedule.updated', 'schedule.deleted']);
  });
});

describe('a run', () => {
  it('is a conversation of the owner; the next run reports only what changed', async () => {
    const id = (await team.call(mia, 'POST', '/schedules', body({ name: 'pods', prompt: 'CHECK PODS please' }))).json().id as string;
    const stream = await openNotificationStream(team.baseUrl, mia);
    sim.reset({ rules: [{ match: { userContains: 'CHECK PODS' }, reply: 'Checked.\n\n- web-1 is CrashLoopBackOff (restarted 4 times)\n- web-2 is Pending' }], fallback: 'Nothing.' });
    const first = await runNow(mia, id);
    expect(first).toMatchObject({ status: 'completed', trigger: 'manual', findings: ['web-1 is CrashLoopBackOff (restarted 4 times)', 'web-2 is Pending'], diff: { compared: false } });
    const conversation = await team.call(mia, 'GET', `/conversations/${first.conversation_id}`);
    expect(conversation.statusCode).toBe(200);
    expect(conversation.json().title).toMatch(/^Schedule: pods/);
    expect((await team.call(leo, 'GET', `/conversations/${first.conversation_id}`)).statusCode).toBe(404);

    sim.reset({ rules: [{ match: { userContains: 'CHECK PODS' }, reply: 'Checked.\n\n- web-1 is CrashLoopBackOff (restarted 9 times)\n- db-0 is OOMKilled' }], fallback: 'Nothing.' });
    const second = await runNow(mia, id);
    expect(second.diff).toEqual({ new: ['db-0 is OOMKilled'], resolved: ['web-2 is Pending'], persists: ['web-1 is CrashLoopBackOff (restarted 9 times)'], compared: true });
    await vi.waitFor(() => expect(stream.notifications().filter((item) => item['kind'] === 'schedule.completed')).toHaveLength(2));
    const told = String(stream.notifications().filter((item) => item['kind'] === 'schedule.completed')[1]!['summary']);
    expect(told).toContain('New (1):\n- db-0 is OOMKilled');
    expect(told).toContain('Resolved (1):\n- web-2 is Pending');
    expect(told).not.toContain('CrashLoopBackOff');
    stream.close();
  });

  it('of a read-only schedule: the proposed change is refused by the gate and recorded; nothing awaits approval', async () => {
    const id = (await team.call(mia, 'POST', '/schedules', body({ name: 'scaler', prompt: 'PLEASE SCALE web', mode: 'read_only' }))).json().id as string;
    sim.reset({
      rules: [
        { match: { toolName: 'k8s_scale' }, reply: 'Could not scale.\n\n- web needs scaling' },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', replicas: 0 } }] } },
        { match: { userContains: 'PLEASE SCALE' }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      ],
      fallback: 'Nothing.',
    });
    const scaledBefore = team.engine.mcp.calls.filter((call) => call.name === 'k8s_scale').length;
    const run = await runNow(mia, id);
    expect(run.status).toBe('completed');
    expect((await team.lite.query('SELECT call_id FROM approvals WHERE conversation_id = $1', [run.conversation_id])).rows).toEqual([]);
    expect(team.engine.mcp.calls.filter((call) => call.name === 'k8s_scale').length).toBe(scaledBefore);
    // the model was told why, and the refusal is in the audit trail
    const told = sim.calls.at(-1)!.body as { messages: Array<{ role: string; content: unknown }> };
    expect(JSON.stringify(told.messages.filter((message) => message.role === 'tool'))).toContain('schedule \\"scaler\\" is read-only');
    const refused = (await team.lite.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_events WHERE conversation_id = $1 AND action LIKE 'tool.%'", [run.conversation_id])).rows;
    expect(JSON.stringify(refused)).toContain('read-only');

    // a propose-mode schedule's change waits for approval like any call
    const proposing = (await team.call(mia, 'POST', '/schedules', body({ name: 'scaler 2', prompt: 'PLEASE SCALE web', mode: 'propose' }))).json().id as string;
    const proposed = await runNow(mia, proposing);
    expect((await team.lite.query<{ status: string }>('SELECT status FROM approvals WHERE conversation_id = $1', [proposed.conversation_id])).rows).toEqual([{ status: 'awaiting' }]);
  });
});

describe('where a run\'s result goes', () => {
  it('to the team\'s webhooks only when the schedule says so, with what changed', async () => {
    const received: Array<{ event: string; data: Record<string, unknown> }> = [];
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/schedules-out`;
      expect((await team.call(admin, 'POST', '/integrations', { provider: 'webhook', name: 'ops', metadata: { url, events: ['schedule.completed'] }, credentials: { secret: 'schedule-webhook-secret-123456' } })).statusCode).toBe(201);
      sim.reset({ rules: [{ match: { userContains: 'CHECK CERTS' }, reply: '- api-tls expires in 9 days' }], fallback: 'Nothing.' });
      const quiet = (await team.call(mia, 'POST', '/schedules', body({ name: 'quiet', prompt: 'CHECK CERTS quietly', notify: ['in_app'] }))).json().id as string;
      const loud = (await team.call(mia, 'POST', '/schedules', body({ name: 'certs', prompt: 'CHECK CERTS', notify: ['webhook'] }))).json().id as string;
      await runNow(mia, quiet);
      await runNow(mia, loud);
      await vi.waitFor(() => expect(received).toHaveLength(1));
      expect(received[0]).toMatchObject({ event: 'schedule.completed', data: { type: 'schedule.completed', schedule: 'certs', conclusion: expect.stringContaining('api-tls expires in 9 days') } });
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe("a run's result in Microsoft Teams", () => {
  it('is posted to the connected Teams conversation when the schedule asks for teams, with what changed and a link', async () => {
    const teams = await startTeamsSim({ appId: 'skyflo-schedules-app', appPassword: 'schedules-app-password-abcd' });
    try {
      const connected = await team.call(admin, 'POST', '/integrations', { provider: 'teams', name: 'ops', metadata: { app_id: 'skyflo-schedules-app', tenant_id: 'contoso-tenant', conversation_id: '19:ops@thread.tacv2', service_url: teams.serviceUrl, login_url: teams.loginUrl }, credentials: { app_password: 'schedules-app-password-abcd' } });
      expect(connected.statusCode, connected.body).toBe(201);
      sim.reset({ rules: [{ match: { userContains: 'CHECK PENDING PODS' }, reply: '- payments-7c9 pending: no node has 4 GiB free' }], fallback: 'Nothing.' });
      const id = (await team.call(mia, 'POST', '/schedules', body({ name: 'pending pods', prompt: 'CHECK PENDING PODS', notify: ['teams'] }))).json().id as string;
      const run = await runNow(mia, id);
      await vi.waitFor(() => expect(teams.activities.some((entry) => String(entry.activity['text'] ?? '').includes('Scheduled check'))).toBe(true));
      const posted = teams.activities.find((entry) => String(entry.activity['text'] ?? '').includes('Scheduled check'))!;
      expect(posted.conversationId).toBe('19:ops@thread.tacv2');
      expect(String(posted.activity['text'])).toContain('payments-7c9 pending: no node has 4 GiB free');
      expect(String(posted.activity['text'])).toContain(`/chat/${run.conversation_id}`);
    } finally {
      await teams.close();
    }
  });
});

describe('a run whose engine stopped', () => {
  it('is closed as failed at the next beat once it is an hour old; a fresh one is left running', async () => {
    const id = (await team.call(mia, 'POST', '/schedules', body({ name: 'orphans' }))).json().id as string;
    await team.lite.query("INSERT INTO schedule_runs (schedule_id, tick, trigger, status, started_at) VALUES ($1, now() - interval '2 hours', 'tick', 'running', now() - interval '2 hours'), ($1, now() - interval '1 minute', 'tick', 'running', now() - interval '1 minute')", [id]);
    await team.engine.engine.schedules.tick();
    const runs = (await team.call(mia, 'GET', `/schedules/${id}/runs`)).json().data as Array<{ status: string; detail: string | null }>;
    expect(runs.map((run) => run.status)).toEqual(['running', 'failed']);
    expect(runs[1]!.detail).toBe('the engine running this check stopped before it finished');
  });
});
