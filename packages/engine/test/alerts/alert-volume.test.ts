/**
 * Alerts at real volume (issue 78 item 8). A group of 101 alerts was refused with 400, and Alertmanager never retries
 * a 4xx: the alert was lost. Every repeat notification started a whole model run (11 runs in 6 minutes for a group
 * whose firing set changed 3 times). Now any group is accepted (the first 100 shown, the rest counted), a repeat with
 * the same alerts firing adds a line to the open investigation, and only a change of what fires runs the model again.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

let sim: LlmSim;
let team: TeamEngine;
let mia: string;
let token: string;

const pod = (name: string, status: 'firing' | 'resolved' = 'firing', description = '') => ({
  status,
  labels: { alertname: 'KubePodCrashLooping', namespace: 'prod', pod: name, severity: 'warning' },
  annotations: { summary: `Pod prod/${name} is crash looping`, ...(description ? { description } : {}) },
  startsAt: '2026-11-22T23:00:00Z',
  fingerprint: `fp-${name}`,
});
const group = (groupKey: string, alerts: ReturnType<typeof pod>[]) => ({
  version: '4',
  groupKey,
  status: alerts.some((alert) => alert.status === 'firing') ? 'firing' : 'resolved',
  receiver: 'skyflo',
  groupLabels: { alertname: 'KubePodCrashLooping' },
  commonLabels: { alertname: 'KubePodCrashLooping', namespace: 'prod', severity: 'warning' },
  commonAnnotations: {},
  alerts,
});
const investigations = async (conversationId: string) =>
  (await team.lite.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_events WHERE action = 'alert.investigated' AND conversation_id = $1", [conversationId])).rows[0]!.n;
const messages = async (conversationId: string) => (await team.call(mia, 'GET', `/conversations/${conversationId}`)).json().messages as Array<{ type: string; alert?: Record<string, any> }>;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, reply: 'Diagnosis: the pods crash on start.' }] });
  team = await startTeamEngine(sim);
  const admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  token = (await team.call(mia, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token;
});

afterAll(async () => {
  await team?.close();
  await sim?.close();
});

describe('Alertmanager at real volume', () => {
  it('accepts a group of 101 alerts (it was a 400 Alertmanager never retries), showing 100 and counting the rest', async () => {
    const answer = await team.call(token, 'POST', '/alerts/alertmanager', group('{}:{alertname="KubePodCrashLooping"}/big', Array.from({ length: 101 }, (_, index) => pod(`web-${index}`))));
    expect(answer.statusCode).toBe(202);
    const conversationId = answer.json().conversation_id as string;
    await vi.waitFor(async () => expect(await investigations(conversationId)).toBe(1), { timeout: 30_000 });
    const [entry] = await messages(conversationId);
    expect(entry).toMatchObject({ type: 'alert', alert: { count: 101, truncated_alerts: 1 } });
    const told = sim.calls.flatMap((call) => call.messages).map((message) => String(message.content)).find((text) => text.includes('web-99'))!;
    expect(told).toContain('… and 1 more alert(s) of this group not listed (101 in all, 101 firing)');
    expect(told).not.toContain('pod=web-100');
  });

  it('takes a group larger than the engine\'s body limit (never a 4xx for size)', async () => {
    // 3,000 alerts with long descriptions: about 2 MB, twice BODY_LIMIT_BYTES' default
    const alerts = Array.from({ length: 3000 }, (_, index) => pod(`api-${index}`, 'firing', `restarting; last log line: ${'x'.repeat(500)}`));
    const body = group('{}:{alertname="KubePodCrashLooping"}/huge', alerts);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(2 * 1024 * 1024 - 300_000);
    const answer = await team.call(token, 'POST', '/alerts/alertmanager', body);
    expect(answer.statusCode).toBe(202);
    const conversationId = answer.json().conversation_id as string;
    await vi.waitFor(async () => expect(await investigations(conversationId)).toBe(1), { timeout: 30_000 });
    expect((await messages(conversationId))[0]).toMatchObject({ alert: { count: 3000, truncated_alerts: 2900 } });
  });

  it('11 notifications whose firing set changed 3 times run the model 4 times; the other repeats are lines on the card', async () => {
    const key = '{}:{alertname="KubePodCrashLooping"}/repeats';
    // what Alertmanager sent over six minutes: web-1 firing; web-2 joins; web-1 resolves; web-3 joins
    const sets = [['web-1'], ['web-1'], ['web-1'], ['web-1', 'web-2'], ['web-1', 'web-2'], ['web-1', 'web-2'], ['web-2'], ['web-2'], ['web-2', 'web-3'], ['web-2', 'web-3'], ['web-2', 'web-3']];
    let conversationId = '';
    const statuses: string[] = [];
    for (const [index, firing] of sets.entries()) {
      const previous = sets[index - 1] ?? [];
      const resolved = previous.filter((name) => !firing.includes(name)).map((name) => pod(name, 'resolved'));
      const answer = await team.call(token, 'POST', '/alerts/alertmanager', group(key, [...firing.map((name) => pod(name)), ...resolved]));
      expect(answer.statusCode).toBe(202);
      conversationId ||= answer.json().conversation_id;
      statuses.push(answer.json().status);
      // each change's run finishes before the next notification (Alertmanager's group_interval is minutes)
      await vi.waitFor(async () => expect(await investigations(conversationId)).toBe(1 + [3, 6, 8].filter((change) => change <= index).length), { timeout: 30_000 });
    }
    expect(statuses[0]).toBe('investigating');
    expect(await investigations(conversationId)).toBe(4);
    const entries = await messages(conversationId);
    expect(entries.map((entry) => entry.type)).toEqual(['alert', 'assistant', 'alert', 'assistant', 'alert', 'assistant', 'alert', 'assistant']);
    const notes = entries.filter((entry) => entry.type === 'alert').map((entry) => (entry.alert!['notes'] ?? []).map((note: { text: string }) => note.text));
    expect(notes).toEqual([
      ['Fired again: the same 1 alert firing.', 'Fired again: the same 1 alert firing.'],
      ['Changed since the last investigation: 1 started firing: pod=web-2 (2 firing now).', 'Fired again: the same 2 alerts firing.', 'Fired again: the same 2 alerts firing.'],
      ['Changed since the last investigation: 1 stopped: pod=web-1 (1 firing now).', 'Fired again: the same 1 alert firing.'],
      ['Changed since the last investigation: 1 started firing: pod=web-3 (2 firing now).', 'Fired again: the same 2 alerts firing.', 'Fired again: the same 2 alerts firing.'],
    ]);
  });
});
