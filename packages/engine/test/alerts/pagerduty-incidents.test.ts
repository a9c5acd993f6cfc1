/**
 * PagerDuty incidents open investigations (issue 39). A v3 webhook delivery, signed as PagerDuty signs it, opens a
 * read-only investigation like an Alertmanager group; the conclusion goes back to the incident as a note (through
 * pagerduty-sim's REST API), with any secret masked; a forged, unsigned or replayed delivery opens nothing; a resolved
 * incident closes its investigation; acknowledgements and pings are acknowledged and ignored.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startPagerDutySim, type PagerDutySim } from '@skyflo/testkit/pagerduty-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const SECRET = 'Pa55-w0rd-of-the-orders-db';
const OLD_SECRET = 'pd-webhook-secret-retiring-0001';
const NEW_SECRET = 'pd-webhook-secret-current-0002';
const API_TOKEN = 'pd-rest-api-key-for-notes-4242';

let sim: LlmSim;
let pagerDuty: PagerDutySim;
let team: TeamEngine;
let admin: string;
let hook: string;

const count = async (sql: string) => Number((await team.lite.query<{ n: number }>(sql)).rows[0]!.n);
const conversationCount = () => count('SELECT count(*)::int AS n FROM conversations');

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  // a model that repeats what it was told in its diagnosis (so a secret in the incident would reach the note)
  sim.reset({ rules: [{ match: { always: true }, reply: 'Diagnosis: {{lastUserMessage}}' }] });
  pagerDuty = await startPagerDutySim({ apiToken: API_TOKEN, users: ['oncall@example.com'] });
  team = await startTeamEngine(sim, {
    PAGERDUTY_WEBHOOK_SECRET: `${OLD_SECRET},${NEW_SECRET}`,
    PAGERDUTY_RUN_AS: 'admin@example.com',
    PAGERDUTY_API_TOKEN: API_TOKEN,
    PAGERDUTY_FROM: 'oncall@example.com',
    PAGERDUTY_API_URL: pagerDuty.apiUrl,
    PUBLIC_URL: 'http://skyflo.example',
  });
  admin = await team.engine.signUp('admin@example.com');
  hook = `${team.baseUrl}/api/v1/alerts/pagerduty`;
}, 120_000);

afterAll(async () => {
  await team?.close();
  await pagerDuty?.close();
  await sim?.close();
});

describe('PagerDuty v3 webhooks', () => {
  it('a triggered incident opens an investigation owned by PAGERDUTY_RUN_AS, and its conclusion is posted to the incident as a note, secrets masked', async () => {
    const event = pagerDuty.incidentEvent({ id: 'PCHK001', title: `checkout 5xx: orders db refuses postgres://app:${SECRET}@orders-db:5432/orders`, service: 'checkout' });
    const sent = await pagerDuty.send(hook, NEW_SECRET, event);
    expect(sent.status).toBe(202);
    const outcome = JSON.parse(sent.body) as { status: string; conversation_id: string };
    expect(outcome.status).toBe('investigating');

    const note = await pagerDuty.waitForNote((candidate) => candidate.incidentId === 'PCHK001');
    expect(note.from).toBe('oncall@example.com');
    expect(note.content).toContain('Diagnosis:');
    expect(note.content).toContain('postgres://app:[REDACTED]@orders-db');
    expect(note.content).toContain(`Skyflo investigation: http://skyflo.example/chat/${outcome.conversation_id}`);
    expect(JSON.stringify(pagerDuty.notes)).not.toContain(SECRET);

    const conversation = (await team.call(admin, 'GET', `/conversations/${outcome.conversation_id}`)).json() as { title: string };
    expect(conversation.title).toContain('checkout 5xx');
    expect(JSON.stringify(conversation)).not.toContain(SECRET);
    expect(JSON.stringify(sim.calls)).not.toContain(SECRET);
    // the sink audits the note once PagerDuty has answered, which can be after the test sees the note arrive
    await vi.waitFor(async () => expect(await count("SELECT count(*)::int AS n FROM audit_events WHERE action = 'alert.note_posted'")).toBe(1), { timeout: 30_000 });
  }, 120_000);

  it('refuses a forged, an unsigned and a tampered delivery, and opens nothing', async () => {
    const before = await conversationCount();
    const event = pagerDuty.incidentEvent({ title: 'forged incident' });
    const forged = await pagerDuty.send(hook, 'a-secret-the-attacker-guessed', event);
    const unsigned = await pagerDuty.send(hook, [], event, { signature: '' });
    const tampered = await pagerDuty.resend(hook, { ...(await pagerDuty.send(hook, 'nope-not-the-secret-000', event)).sent, body: JSON.stringify(event).replace('forged', 'tampered') });
    expect([forged.status, unsigned.status, tampered.status]).toEqual([401, 401, 401]);
    expect(forged.body).toContain('X-PagerDuty-Signature');
    expect(await conversationCount()).toBe(before);
  });

  it('takes each event once: the same signed delivery sent again opens nothing more', async () => {
    const event = pagerDuty.incidentEvent({ id: 'PRPLY01', title: 'replayed incident' });
    const first = await pagerDuty.send(hook, OLD_SECRET, event); // the retiring secret still verifies during a rotation
    expect(first.status).toBe(202);
    const after = await conversationCount();
    const replay = await pagerDuty.resend(hook, first.sent);
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.body)).toMatchObject({ status: 'ignored' });
    expect(await conversationCount()).toBe(after);
    await pagerDuty.waitForNote((note) => note.incidentId === 'PRPLY01');
  }, 120_000);

  it('a resolved incident closes its investigation; acknowledgements and pings are acknowledged and ignored', async () => {
    const opened = await pagerDuty.send(hook, NEW_SECRET, pagerDuty.incidentEvent({ id: 'PRSLV01', title: 'payments latency' }));
    const conversationId = (JSON.parse(opened.body) as { conversation_id: string }).conversation_id;
    await pagerDuty.waitForNote((note) => note.incidentId === 'PRSLV01');
    const acknowledged = await pagerDuty.send(hook, NEW_SECRET, pagerDuty.incidentEvent({ id: 'PRSLV01', title: 'payments latency', eventType: 'incident.acknowledged' }));
    expect(acknowledged.status).toBe(202);
    expect(JSON.parse(acknowledged.body)).toMatchObject({ status: 'ignored' });
    const ping = await pagerDuty.send(hook, NEW_SECRET, { event: { id: 'PING0001', event_type: 'pagey.ping', resource_type: 'pagey', data: { type: 'ping', message: 'Hello from your friend Pagey!' } } });
    expect(ping.status).toBe(200);
    const resolved = await pagerDuty.send(hook, NEW_SECRET, pagerDuty.incidentEvent({ id: 'PRSLV01', title: 'payments latency', eventType: 'incident.resolved' }));
    expect(resolved.status).toBe(202);
    expect(JSON.parse(resolved.body)).toMatchObject({ status: 'closed', conversation_id: conversationId });
    const conversation = (await team.call(admin, 'GET', `/conversations/${conversationId}`)).json() as { title: string };
    expect(conversation.title).toMatch(/^\[resolved\] /);
  }, 120_000);
});
