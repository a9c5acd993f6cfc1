/**
 * Issue 31 items 5 and 11, end to end: llm-sim as the model, the engine over HTTP on PGlite, slack-sim and a webhook
 * receiver as the notifiers.
 *   5. The model's own answer (and reasoning) is redacted before it is streamed, stored or sent on: an answer holding
 *      `password=…`, `mysql -u root -p…` (in Markdown backticks), a credential URL, a `ghp_` token, a bare Google API
 *      key and `.netrc` lines (one line and several) shows the redaction marker instead on the SSE stream, in the
 *      stored conversation (API and every database row), and in what Slack and a webhook receive when an alert's
 *      investigation concludes with it. llm-sim streams words longer than 8 characters in 8-character pieces, so the
 *      long secrets arrive split across token chunks.
 *   11. A lone UTF-16 surrogate written by the model, in its answer or in a tool argument, no longer ends the run as
 *      STORAGE_UNAVAILABLE or drops the answer: the run completes and the text is kept with U+FFFD in its place.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

/** joins a vendor prefix and an obviously fake body at runtime (keeps secret scanners quiet) */
const fake = (...parts: string[]) => parts.join('');
const secrets = {
  passwordPair: 'AnsPairPw31xyz',
  mysql: 'AnsMysqlRoot31',
  url: 'AnsUrlPw31xyz',
  github: fake('ghp_', 'AnsFakeGithubToken31abcdefghijklmnop'),
  google: fake('AIza', 'SyAnsFakeGoogleKey31abcdefghijklmn-'),
  netrcOneLine: 'AnsNetrcOne31',
  netrcMultiLine: 'AnsNetrcMulti31',
};
const REASONING_SECRET = 'AnsReasonPw31';
const ANSWER = [
  `The app reads password=${secrets.passwordPair} from its env.`,
  `Check the grants with \`mysql -u root -p${secrets.mysql} -h db\` first.`,
  `DATABASE_URL is postgres://app:${secrets.url}@db.prod:5432/app and the clone uses ${secrets.github} today.`,
  `Maps runs with ${secrets.google} in the frontend.`,
  `The runner has machine git.example.com login deploy password ${secrets.netrcOneLine} in its .netrc, and the builder:`,
  '',
  '```',
  'machine artifacts.example.com',
  '  login ci',
  `  password ${secrets.netrcMultiLine}`,
  '```',
  '',
  'Rotate all of them.',
].join('\n');

let sim: LlmSim;
let slack: SlackSim;
let team: TeamEngine;
let mia: string;
let alertToken: string;
let receiver: Server;
const hooks: string[] = [];

const chat = async (content: string): Promise<SseFrame[]> => {
  const response = await team.call(mia, 'POST', '/agent/chat', { messages: [{ role: 'user', content }] });
  expect(response.statusCode, response.body).toBe(200);
  return readSse(new Response(response.body));
};
const dataOf = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);
const conversationOf = (frames: SseFrame[]) => String(frames[0]!.data['conversation_id']);

/** Every row of every table, as text. */
async function databaseText(): Promise<string> {
  const tables = (await team.lite.query<{ table_schema: string; table_name: string }>(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE'`)).rows;
  expect(tables.map((table) => table.table_name)).toEqual(expect.arrayContaining(['conversations']));
  const rows = await Promise.all(tables.map(async (table) => JSON.stringify((await team.lite.query(`SELECT * FROM "${table.table_schema}"."${table.table_name}"`)).rows)));
  return rows.join('\n');
}

/** The text segments of the conversation's last answer, as GET /conversations/:id returns them. */
async function storedAnswer(conversationId: string): Promise<string> {
  const messages = (await team.call(mia, 'GET', `/conversations/${conversationId}`)).json().messages as Array<{ type: string; segments?: Array<{ kind: string; text?: string }> }>;
  return (messages.filter((entry) => entry.type === 'assistant').at(-1)?.segments ?? []).filter((segment) => segment.kind === 'text').map((segment) => segment.text).join('');
}

function expectNoSecret(where: string, text: string, extra: string[] = []) {
  for (const [shape, secret] of Object.entries(secrets)) expect(text, `${shape} reached ${where}`).not.toContain(secret);
  for (const secret of extra) expect(text, `${secret} reached ${where}`).not.toContain(secret);
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  slack = await startSlackSim({ botToken: 'xoxb-answer-redaction-4471' });
  team = await startTeamEngine(sim);
  const admin = await team.engine.signUp('admin@example.com');
  mia = await team.member(admin, 'mia@example.com', 'member');
  alertToken = (await team.call(mia, 'POST', '/auth/tokens', { name: 'alertmanager', scopes: ['alerts:write'] })).json().token;
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      hooks.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  const webhook = await team.call(admin, 'POST', '/integrations', { provider: 'webhook', name: 'oncall', metadata: { url, events: ['alert.investigated', 'run.completed'] }, credentials: { secret: 'answer-webhook-secret-123456' } });
  expect(webhook.statusCode, webhook.body).toBe(201);
  const slackIntegration = await team.call(admin, 'POST', '/integrations', { provider: 'slack', name: 'ops', metadata: { channel: 'C_OPS', api_url: slack.apiUrl }, credentials: { bot_token: 'xoxb-answer-redaction-4471', signing_secret: 'slack-signing-secret-answer-0123456789' } });
  expect(slackIntegration.statusCode, slackIntegration.body).toBe(201);
}, 60_000);

afterAll(async () => {
  await team?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await slack?.close();
  await sim?.close();
});

describe('issue 31 item 5: the model answer is redacted before it is streamed, stored or sent on', () => {
  it('an answer and reasoning holding every shape: the stream, the API and every database row show the marker, never the secret', async () => {
    sim.reset({ rules: [{ match: { always: true }, reply: { reasoning: `The env has password=${REASONING_SECRET} set.`, text: ANSWER } }] });
    // not vacuous: llm-sim cuts words longer than 8 characters, so these arrive in several token chunks
    for (const secret of [secrets.github, secrets.google, secrets.passwordPair]) expect(secret.length).toBeGreaterThan(8);

    const frames = await chat('what credentials does the app use?');
    expect(dataOf(frames, 'completed')[0]).toMatchObject({ status: 'completed' });
    const streamed = dataOf(frames, 'token').map((token) => String(token['text'])).join('');
    const complete = String(dataOf(frames, 'generation.complete')[0]!['content']);
    // what was streamed is what is kept, the marker where each secret was and the rest of the answer intact
    expect(streamed).toBe(complete);
    expect(complete).toContain('The app reads password=[REDACTED] from its env.');
    expect(complete).toContain('`mysql -u root -p[REDACTED] -h db`');
    expect(complete).toContain('postgres://app:[REDACTED]@db.prod:5432/app and the clone uses [REDACTED] today.');
    expect(complete).toContain('Maps runs with [REDACTED] in the frontend.');
    expect(complete).toContain('machine git.example.com login deploy password [REDACTED] in its .netrc');
    expect(complete).toContain('machine artifacts.example.com\n  login ci\n  password [REDACTED]\n```');
    expect(complete).toContain('Rotate all of them.');
    const thinking = dataOf(frames, 'thinking').map((piece) => String(piece['text'])).join('');
    expect(thinking).toBe('The env has password=[REDACTED] set.');
    expectNoSecret('the SSE stream', JSON.stringify(frames), [REASONING_SECRET]);

    const conversationId = conversationOf(frames);
    expect(await storedAnswer(conversationId)).toBe(complete);
    expectNoSecret('GET /conversations/:id', (await team.call(mia, 'GET', `/conversations/${conversationId}`)).body, [REASONING_SECRET]);
    const stored = await databaseText();
    expect(stored).toContain('Rotate all of them.');
    expectNoSecret('the database', stored, [REASONING_SECRET]);
  });

  it("an alert's investigation concluding with the answer: Slack and the webhook receive the marker, never the secret", async () => {
    const investigations = async () => (await team.lite.query<{ conversation_id: string }>("SELECT conversation_id FROM audit_events WHERE action = 'alert.investigated'")).rows.map((row) => row.conversation_id);
    sim.reset({ rules: [{ match: { always: true }, reply: ANSWER }] });
    const opened = await team.call(alertToken, 'POST', '/alerts', { title: 'Credentials in the runner', description: 'Which credentials does the runner hold?' });
    expect(opened.json(), opened.body).toMatchObject({ status: 'investigating' });
    const conversationId = opened.json().conversation_id as string;
    await vi.waitFor(async () => expect(await investigations()).toContain(conversationId), { timeout: 30_000 });

    await vi.waitFor(() => expect(hooks.some((body) => body.includes('"alert.investigated"') && body.includes(conversationId))).toBe(true));
    const investigated = JSON.parse(hooks.find((body) => body.includes('"alert.investigated"') && body.includes(conversationId))!) as { data: { conclusion: string } };
    expect(investigated.data.conclusion).toContain('Maps runs with [REDACTED] in the frontend.');
    await vi.waitFor(() => expect([...slack.messages.values()].some((message) => JSON.stringify(message.blocks).includes('Alert investigated'))).toBe(true));
    const posted = JSON.stringify([...slack.messages.values()]);
    expect(posted).toContain('password=[REDACTED]');
    expectNoSecret('Slack', posted);
    expectNoSecret('the webhook receiver', hooks.join('\n'));
    expectNoSecret('the database', await databaseText());
  });
});

describe('issue 31 item 11: a lone surrogate written by the model', () => {
  it('in the answer: the run completes and the answer is kept with U+FFFD', async () => {
    sim.reset({ rules: [{ match: { always: true }, reply: 'web runs 2/2 \ud800 replicas \udc00 and is healthy.' }] });
    const frames = await chat('how is web?');
    expect(dataOf(frames, 'workflow.error')).toEqual([]);
    expect(dataOf(frames, 'completed')[0]).toMatchObject({ status: 'completed' });
    expect(dataOf(frames, 'token').map((token) => String(token['text'])).join('')).toBe('web runs 2/2 \uFFFD replicas \uFFFD and is healthy.');
    const conversationId = conversationOf(frames);
    expect(await storedAnswer(conversationId)).toBe('web runs 2/2 \uFFFD replicas \uFFFD and is healthy.');
    const row = (await team.lite.query<{ timeline: unknown }>('SELECT messages_json AS timeline FROM conversations WHERE id = $1', [conversationId])).rows[0];
    expect(JSON.stringify(row?.timeline)).toContain('web runs 2/2 \uFFFD replicas');
  });

  it('in a tool argument: the tool runs with U+FFFD in its place, the run completes and its answer is kept', async () => {
    const calls = team.engine.mcp.calls.length;
    sim.reset({
      rules: [
        { match: { toolName: 'k8s_get' }, reply: 'There is no such deployment.' },
        { match: { always: true }, reply: { toolCalls: [{ id: 'call_odd', name: 'k8s_get', arguments: { resource_type: 'deployments', name: 'web\ud800' } }] } },
      ],
    });
    const frames = await chat('get the web deployment');
    expect(dataOf(frames, 'workflow.error')).toEqual([]);
    expect(dataOf(frames, 'completed')[0]).toMatchObject({ status: 'completed' });
    expect(team.engine.mcp.calls.slice(calls)).toEqual([{ name: 'k8s_get', args: { resource_type: 'deployments', name: 'web\uFFFD' } }]);
    const conversationId = conversationOf(frames);
    expect(await storedAnswer(conversationId)).toBe('There is no such deployment.');
    const row = (await team.lite.query<{ timeline: unknown }>('SELECT messages_json AS timeline FROM conversations WHERE id = $1', [conversationId])).rows[0];
    expect(JSON.stringify(row?.timeline)).toContain('web\uFFFD');
  });
});
