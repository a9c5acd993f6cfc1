/**
 * Secrets in alert text (issue 31, item 4). An annotation with `postgres://app:PASS@db…` and `password=PASS` went to
 * the model in clear, was stored in the investigation, and the model's diagnosis repeating it went to the Slack channel
 * and the alert.investigated webhook. Now every alert field is redacted by the rules tool output gets before it is
 * stored or sent: here the model (llm-sim) repeats whatever it is told, and the secret is nowhere — not in what the
 * model received, not in any database row, not in Slack's messages nor the webhook's payloads, not in the API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const SECRET = 'Pa55-w0rd-of-the-payments-db';
const API_KEY = 'grafana-api-key-7f3a9c1e5b';
const BOT_TOKEN = 'xoxb-skyflo-alerts-token-4321';

let sim: LlmSim;
let slack: SlackSim;
let team: TeamEngine;
let admin: string;
let receiver: Server;
const hooks: string[] = [];

/** Every row of every table, bytea columns read as text (the checkpoints are stored as bytes). */
async function databaseText(): Promise<string> {
  const tables = (await team.lite.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).rows.map((row) => row.table_name);
  const parts: string[] = [];
  for (const table of tables) {
    const columns = (await team.lite.query<{ column_name: string; data_type: string }>('SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', ['public', table])).rows;
    const select = columns.map((column) => (column.data_type === 'bytea' ? `encode("${column.column_name}", 'escape')` : `"${column.column_name}"::text`)).join(', ');
    parts.push(JSON.stringify((await team.lite.query(`SELECT ${select} FROM "${table}"`)).rows));
  }
  return parts.join('\n');
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  // a model that repeats the alert it was given in its diagnosis
  sim.reset({ rules: [{ match: { always: true }, reply: 'Diagnosis: {{lastUserMessage}}' }] });
  slack = await startSlackSim({ botToken: BOT_TOKEN });
  team = await startTeamEngine(sim);
  admin = await team.engine.signUp('admin@example.com');
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      hooks.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts-out`;
  expect((await team.call(admin, 'POST', '/integrations', { provider: 'webhook', name: 'oncall', metadata: { url, events: ['alert.investigated'] }, credentials: { secret: 'alert-webhook-secret-123456' } })).statusCode).toBe(201);
  expect((await team.call(admin, 'POST', '/integrations', { provider: 'slack', name: 'ops', metadata: { channel: 'C_OPS', api_url: slack.apiUrl }, credentials: { bot_token: BOT_TOKEN, signing_secret: 'slack-signing-secret-0123456789' } })).statusCode).toBe(201);
});

afterAll(async () => {
  await team?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await slack?.close();
  await sim?.close();
});

describe('secrets in alert text', () => {
  it('reach neither the model, the database, Slack, the webhook nor the API', async () => {
    const token = (await team.call(admin, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token as string;
    const alertmanager = await team.call(token, 'POST', '/alerts/alertmanager', {
      version: '4',
      groupKey: '{}:{alertname="PaymentsDatabaseUnreachable"}',
      status: 'firing',
      receiver: 'skyflo',
      groupLabels: { alertname: 'PaymentsDatabaseUnreachable' },
      commonLabels: { alertname: 'PaymentsDatabaseUnreachable', namespace: 'payments', db_password: SECRET },
      commonAnnotations: { summary: `payments cannot reach postgres://app:${SECRET}@db.payments.svc:5432/payments`, description: `connection refused; the app logs password=${SECRET}` },
      alerts: [{ status: 'firing', labels: { alertname: 'PaymentsDatabaseUnreachable', namespace: 'payments' }, annotations: { summary: `DSN postgres://app:${SECRET}@db:5432/app`, description: `PGPASSWORD=${SECRET}` }, generatorURL: `http://grafana.example/explore?api_key=${API_KEY}`, startsAt: '2026-11-23T09:00:00Z' }],
    });
    const generic = await team.call(token, 'POST', '/alerts', { title: `backup job failed: password=${SECRET}`, description: `pg_dump postgres://backup:${SECRET}@db/payments exited with 1`, labels: { token: SECRET } });
    expect([alertmanager.statusCode, generic.statusCode]).toEqual([202, 202]);
    const conversations = [alertmanager.json().conversation_id as string, generic.json().conversation_id as string];

    await vi.waitFor(() => expect(hooks).toHaveLength(2), { timeout: 60_000 });
    await vi.waitFor(() => expect(slack.calls.filter((call) => call.method === 'chat.postMessage')).toHaveLength(2), { timeout: 30_000 });

    // the investigations did get the alerts, with the secrets masked
    const told = JSON.stringify(sim.calls.map((call) => call.messages));
    expect(told).toContain('postgres://app:[REDACTED]@db.payments.svc:5432/payments');
    expect(told).toContain('password=[REDACTED]');
    expect(told).toContain('explore?api_key=[REDACTED]');
    for (const [where, text] of [
      ['the model', JSON.stringify(sim.calls)],
      ['the database', await databaseText()],
      ['Slack', JSON.stringify(slack.calls)],
      ['the webhook', hooks.join('\n')],
      ['the API', JSON.stringify(await Promise.all(conversations.map(async (id) => (await team.call(admin, 'GET', `/conversations/${id}`)).json())))],
    ] as const) {
      expect(text.includes(SECRET), `${where} holds the secret`).toBe(false);
      expect(text.includes(API_KEY), `${where} holds the API key`).toBe(false);
    }
    // what Slack shows is the diagnosis with the secret masked
    expect(JSON.stringify(slack.calls)).toContain('password=[REDACTED]');
  });
});
