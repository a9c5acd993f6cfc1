/**
 * The public address (issue 37 item 10): without PUBLIC_URL, links in webhooks and Slack were relative ("/chat/…"),
 * useless outside the browser. The first admin's browser now reports its origin (kept only if it is that request's
 * Origin and no address is known yet), an admin can change it, PUBLIC_URL wins; `conversation_url` in a webhook and the
 * link in the Slack message are absolute once it is known. Slack's Test checks the token (auth.test) and posts a test
 * message in the channel.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { publicUrlSettingsSchema } from '@skyflo/protocol';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { startTeamEngine, type TeamEngine, scaleWebTo5Script } from '../support/team-engine.ts';

const BOT_TOKEN = 'xoxb-skyflo-public-url-1357';
const SIGNING_SECRET = 'slack-signing-secret-public-url-0123';

let sim: LlmSim;
let slack: SlackSim;
let team: TeamEngine;
let admin: string;
let receiver: Server;
let receiverUrl: string;
const received: Array<Record<string, any>> = [];

/** a request as the browser sends it: addressed to the engine, with the page's Origin */
const fromBrowser = (token: string, origin: string, payload: Record<string, unknown>) =>
  team.engine.request({ method: 'PUT', url: '/api/v1/settings/public-url', token, payload, headers: { host: new URL(origin).host, origin } });

const put = (engine: TeamEngine, token: string, payload: Record<string, unknown>) => engine.engine.request({ method: 'PUT', url: '/api/v1/settings/public-url', token, payload });

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  slack = await startSlackSim({ botToken: BOT_TOKEN });
  team = await startTeamEngine(sim);
  admin = await team.engine.signUp('admin@example.com');
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  sim.reset(scaleWebTo5Script);
});

afterAll(async () => {
  await team?.close();
  await slack?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await sim?.close();
});

describe('the public address', () => {
  it('is unknown on a fresh engine; only an admin sets it, and a browser report must be the request\'s own origin', async () => {
    const member = await team.member(admin, 'mia@example.com', 'member');
    const fresh = await team.call(member, 'GET', '/settings/public-url');
    expect(fresh.statusCode).toBe(200);
    expect(publicUrlSettingsSchema.parse(fresh.json())).toEqual({ url: null, source: 'unknown' });

    expect((await fromBrowser(member, team.baseUrl, { url: team.baseUrl, from_browser: true })).statusCode).toBe(403);
    const spoofed = await fromBrowser(admin, team.baseUrl, { url: 'https://evil.example.com', from_browser: true });
    expect(spoofed.statusCode).toBe(400);
    expect(spoofed.json().detail).toMatch(/must be the origin this request came from/);
    expect((await team.call(admin, 'GET', '/settings/public-url')).json()).toEqual({ url: null, source: 'unknown' });

    const reported = await fromBrowser(admin, team.baseUrl, { url: team.baseUrl, from_browser: true });
    expect(reported.statusCode).toBe(200);
    expect(reported.json()).toMatchObject({ url: team.baseUrl, source: 'settings', origin: 'browser', set_by: 'admin@example.com' });
    // a later browser (another address the engine answers at) does not replace it
    const port = new URL(team.baseUrl).port;
    const other = await fromBrowser(admin, `http://localhost:${port}`, { url: `http://localhost:${port}`, from_browser: true });
    expect(other.statusCode).toBe(200);
    expect(other.json().url).toBe(team.baseUrl);
  });

  it('webhook and Slack links are absolute: conversation_url and the message link start with the public address', async () => {
    const hook = await team.call(admin, 'POST', '/integrations', { provider: 'webhook', name: 'pager', metadata: { url: receiverUrl, events: ['approval.requested'] }, credentials: { secret: 'whsec-0123456789abcdef' } });
    expect(hook.statusCode).toBe(201);
    const connected = await team.call(admin, 'POST', '/integrations', { provider: 'slack', name: 'ops', metadata: { channel: 'C_OPS', api_url: slack.apiUrl }, credentials: { bot_token: BOT_TOKEN, signing_secret: SIGNING_SECRET } });
    expect(connected.statusCode).toBe(201);
    team.engine.mcp.replicas.set('web', 2);
    const chat = await readSse(new Response((await team.call(admin, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] })).body));
    const conversationId = String(chat.find((frame) => frame.event === 'tool.awaiting_approval')!.data['conversation_id']);
    await vi.waitFor(() => expect(received.map((delivery) => delivery['data']?.['conversation_url'])).toEqual([`${team.baseUrl}/chat/${conversationId}`]), { timeout: 30_000 });
    await vi.waitFor(() => expect(slack.messages.size).toBe(1), { timeout: 30_000 });
    expect(JSON.stringify([...slack.messages.values()][0]!.blocks)).toContain(`<${team.baseUrl}/chat/${conversationId}|`);
  });

  it('an admin changes it, recorded in the audit trail', async () => {
    const changed = await put(team, admin, { url: 'https://skyflo.example.com/' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ url: 'https://skyflo.example.com', source: 'settings', origin: 'admin' });
    expect((await put(team, admin, { url: 'javascript:alert(1)' })).statusCode).toBe(400);
    const audit = await team.lite.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_events WHERE action = 'settings.public_url_changed' ORDER BY sequence");
    expect(audit.rows.map((row) => row.details)).toEqual([
      { url: team.baseUrl, origin: 'browser' },
      { url: 'https://skyflo.example.com', previous: team.baseUrl, origin: 'admin' },
    ]);
    expect((await team.call(admin, 'GET', '/settings/public-url')).json()).toMatchObject({ url: 'https://skyflo.example.com', set_by: 'admin@example.com' });
  });

  it('Slack\'s Test: auth.test and a test message in the channel; the answer never carries a secret', async () => {
    const [listed] = ((await team.call(admin, 'GET', '/integrations')).json() as Array<{ id: string; provider: string }>).filter((item) => item.provider === 'slack');
    const before = slack.messages.size;
    const tested = await team.call(admin, 'POST', `/integrations/${listed!.id}/test`);
    expect(tested.statusCode).toBe(200);
    expect(tested.json()).toMatchObject({ ok: true, user: 'skyflo in Skyflo Sim' });
    expect(tested.body).not.toContain(BOT_TOKEN);
    expect(slack.messages.size).toBe(before + 1);
    expect([...slack.messages.values()].at(-1)).toMatchObject({ channel: 'C_OPS', text: 'Skyflo test: approval requests will be posted in this channel.' });
    const all = (await team.call(admin, 'GET', '/integrations')).body;
    expect(all).not.toContain(BOT_TOKEN);
    expect(all).not.toContain(SIGNING_SECRET);
  });
});

describe('PUBLIC_URL set on the server', () => {
  it('wins: reported as the environment\'s, and not changeable through the API', async () => {
    const pinned = await startTeamEngine(sim, { PUBLIC_URL: 'https://ops.example.com/' });
    try {
      const owner = await pinned.engine.signUp('owner@example.com');
      expect((await pinned.call(owner, 'GET', '/settings/public-url')).json()).toEqual({ url: 'https://ops.example.com', source: 'environment' });
      const refused = await put(pinned, owner, { url: 'https://elsewhere.example.com' });
      expect(refused.statusCode).toBe(409);
    } finally {
      await pinned.close();
    }
  });
});
