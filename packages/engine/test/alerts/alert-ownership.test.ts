/**
 * Alert groups belong to their owner (issue 31, item 2). Alertmanager group keys are predictable
 * (`{}:{alertname="…"}`): a member who posts a key first must not swallow another member's alert (before, the real
 * alert was "added to the open investigation" of the first poster and never investigated), and a `resolved` notice
 * closes only the sender's own investigation (before, anyone could retitle someone else's conversation `[resolved] …`).
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

let sim: LlmSim;
let team: TeamEngine;
let mia: string;
let bob: string;
let miaAlerts: string;
let bobAlerts: string;

const dbDown = (status: 'firing' | 'resolved') => ({
  version: '4',
  groupKey: '{}:{alertname="PaymentsDatabaseDown"}',
  status,
  receiver: 'skyflo',
  groupLabels: { alertname: 'PaymentsDatabaseDown' },
  commonLabels: { alertname: 'PaymentsDatabaseDown', namespace: 'payments', severity: 'critical' },
  commonAnnotations: { summary: 'The payments database does not answer' },
  alerts: [{ status, labels: { alertname: 'PaymentsDatabaseDown', namespace: 'payments' }, annotations: {}, startsAt: '2026-11-23T09:00:00Z' }],
});

const investigated = async () => (await team.lite.query<{ conversation_id: string }>("SELECT conversation_id FROM audit_events WHERE action = 'alert.investigated' ORDER BY sequence")).rows.map((row) => row.conversation_id);
const conversationRow = async (id: string) => (await team.lite.query<{ title: string; user_id: string }>('SELECT title, user_id FROM conversations WHERE id = $1', [id])).rows[0];

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [{ match: { always: true }, reply: 'Diagnosis: the payments database pod is not ready.' }] });
  team = await startTeamEngine(sim);
  const admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  bob = await team.member(admin, 'bob@example.com', 'member');
  const token = async (session: string) => (await team.call(session, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token as string;
  miaAlerts = await token(mia);
  bobAlerts = await token(bob);
});

afterAll(async () => {
  await team?.close();
  await sim?.close();
});

describe('alert groups are per owner', () => {
  it("another member who posts the group key first does not swallow the real alert, and cannot resolve the owner's investigation", async () => {
    const miaId = (await team.call(mia, 'GET', '/auth/me')).json().id as string;
    const bobId = (await team.call(bob, 'GET', '/auth/me')).json().id as string;

    // Bob guesses the key and posts it first
    const squatted = await team.call(bobAlerts, 'POST', '/alerts/alertmanager', dbDown('firing'));
    expect(squatted.json()).toMatchObject({ status: 'investigating' });
    const bobConversation = squatted.json().conversation_id as string;
    await vi.waitFor(async () => expect(await investigated()).toEqual([bobConversation]), { timeout: 30_000 });

    // Mia's real alert opens her own investigation, which runs
    const real = await team.call(miaAlerts, 'POST', '/alerts/alertmanager', dbDown('firing'));
    expect(real.statusCode).toBe(202);
    expect(real.json()).toMatchObject({ status: 'investigating', conversation_id: expect.any(String) });
    const miaConversation = real.json().conversation_id as string;
    expect(miaConversation).not.toBe(bobConversation);
    expect(await conversationRow(miaConversation)).toEqual({ title: 'Alert: PaymentsDatabaseDown payments', user_id: miaId });
    await vi.waitFor(async () => expect(await investigated()).toEqual([bobConversation, miaConversation]), { timeout: 30_000 });
    expect((await team.call(bob, 'GET', `/conversations/${miaConversation}`)).statusCode).toBe(404);

    // Bob's resolved notice closes his own investigation only
    const bobResolves = await team.call(bobAlerts, 'POST', '/alerts/alertmanager', dbDown('resolved'));
    expect(bobResolves.json()).toMatchObject({ status: 'closed', conversation_id: bobConversation });
    expect(await conversationRow(miaConversation)).toEqual({ title: 'Alert: PaymentsDatabaseDown payments', user_id: miaId });
    expect(await conversationRow(bobConversation)).toEqual({ title: '[resolved] Alert: PaymentsDatabaseDown payments', user_id: bobId });

    // a repeat from Mia still goes to her open investigation (the same alert firing: a line, no new run); her own
    // resolved closes it
    const repeat = await team.call(miaAlerts, 'POST', '/alerts/alertmanager', dbDown('firing'));
    expect(repeat.json()).toMatchObject({ status: 'noted', conversation_id: miaConversation });
    const entries = (await team.call(mia, 'GET', `/conversations/${miaConversation}`)).json().messages as Array<{ type: string; alert?: { notes?: unknown[] } }>;
    expect(entries.find((entry) => entry.type === 'alert')?.alert?.notes).toHaveLength(1);
    expect(await investigated()).toEqual([bobConversation, miaConversation]);
    const miaResolves = await team.call(miaAlerts, 'POST', '/alerts/alertmanager', dbDown('resolved'));
    expect(miaResolves.json()).toMatchObject({ status: 'closed', conversation_id: miaConversation });
    expect((await conversationRow(miaConversation))?.title).toBe('[resolved] Alert: PaymentsDatabaseDown payments');
  });
});
