/**
 * Issue 31, item 13: DNS rebinding between the URL check and the request. A webhook, Slack or Jenkins URL was
 * resolved once by the guard (a harmless address) and again by `fetch`, so a name answering 169.254.169.254 the
 * second time reached the cloud's metadata service. Now the connection's own lookup runs the guard's rule on what it
 * resolves (integration-egress.ts). The resolver is injected (no network): each name answers a scripted sequence,
 * the way an attacker's DNS server with a TTL of 0 does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIntegrationEgress } from '../../src/app/integrations/integration-egress.ts';
import type { ResolveHost } from '../../src/app/integrations/integration-url-guard.ts';
import { createSlackClient } from '../../src/adapters/chat/slack/slack-client.ts';
import { readSse } from '../../src/testing/read-sse.ts';
import { startTeamEngine, type TeamEngine } from '../support/team-engine.ts';

const loopback = { address: '127.0.0.1', family: 4 };
const metadata = { address: '169.254.169.254', family: 4 };

/** A resolver answering each name from its script in turn (the last answer repeats), recording every question. */
function scriptedResolver(scripts: Record<string, Array<typeof loopback>>): ResolveHost & { asked: string[] } {
  const asked: string[] = [];
  const turns = new Map<string, number>();
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const script = scripts[hostname];
    if (!script) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const turn = turns.get(hostname) ?? 0;
    turns.set(hostname, turn + 1);
    return [script[Math.min(turn, script.length - 1)]!];
  };
  return Object.assign(resolve, { asked });
}

let receiver: Server;
let port: number;
const received: Array<{ path: string; authorization?: string }> = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    received.push({ path: request.url ?? '', ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}) });
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, channel: 'C1', ts: '1.2' })));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('the pinned fetch', () => {
  it('connects to the address its lookup checked: a name that answers loopback, then the metadata address, is refused and nothing is sent', async () => {
    received.length = 0;
    const resolver = scriptedResolver({ 'rebind.example.test': [loopback, metadata], 'ci.example.test': [loopback] });
    const egress = createIntegrationEgress({ resolve: resolver });
    try {
      await expect(egress.fetch(`http://rebind.example.test:${port}/hook`, { method: 'POST', body: '{}' })).rejects.toThrow(
        `http://rebind.example.test:${port} resolves to 169.254.169.254, a link-local or cloud metadata address; integrations may not point there`,
      );
      // asked twice: by the guard (loopback, accepted), then by the connection (metadata, refused before connecting)
      expect(resolver.asked).toEqual(['rebind.example.test', 'rebind.example.test']);
      expect(received).toEqual([]);

      // a name that keeps answering an allowed address (loopback is allowed: a self-hosted Jenkins) still works
      const ok = await egress.fetch(`http://ci.example.test:${port}/hook`, { method: 'POST', body: '{}' });
      expect(ok.status).toBe(200);
      expect(received.map((entry) => entry.path)).toEqual(['/hook']);
    } finally {
      await egress.close();
    }
  });

  it('Slack API calls go through it: a bot token is never sent to a rebound name', async () => {
    received.length = 0;
    const egress = createIntegrationEgress({ resolve: scriptedResolver({ 'slack.example.test': [loopback, metadata] }) });
    try {
      const slack = createSlackClient({ apiUrl: `http://slack.example.test:${port}/api`, botToken: 'xoxb-bot-token-4242', fetch: egress.fetch });
      await expect(slack.postMessage({ channel: 'C1', text: 'hi', blocks: [] })).rejects.toThrow(/resolves to 169\.254\.169\.254, a link-local or cloud metadata address/);
      expect(received).toEqual([]);
    } finally {
      await egress.close();
    }
  });
});

describe('webhook deliveries', () => {
  let sim: LlmSim;
  let team: TeamEngine;
  const resolver = scriptedResolver({
    'hooks.example.test': [loopback],
    // saving (guard), the delivery's check (guard), then the connection: the attacker flips after two answers
    'rebind.example.test': [loopback, loopback, metadata],
  });

  beforeAll(async () => {
    sim = await startLlmSim({ port: 0 });
    team = await startTeamEngine(sim, {}, { resolveHost: resolver });
    sim.reset({
      rules: [
        { match: { toolName: 'load_toolset', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
        { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      ],
    });
  });

  afterAll(async () => {
    await team?.close();
    await sim?.close();
  });

  it('a webhook whose name answers the metadata address when connecting fails at once, names the address, and sends nothing', async () => {
    received.length = 0;
    const admin = await team.engine.signUp('admin@example.com');
    const add = (name: string, host: string) =>
      team.call(admin, 'POST', '/integrations', { provider: 'webhook', name, metadata: { url: `http://${host}:${port}/${name}`, events: ['approval.requested'] }, credentials: { secret: 'whsec-0123456789abcdef-signing' } });
    const good = await add('good', 'hooks.example.test');
    const rebound = await add('rebound', 'rebind.example.test');
    expect([good.statusCode, rebound.statusCode], rebound.body).toEqual([201, 201]);

    team.engine.mcp.replicas.set('web', 2);
    await readSse(new Response((await team.call(admin, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }] })).body));

    await vi.waitFor(async () => {
      const deliveries = (await team.call(admin, 'GET', `/integrations/${rebound.json().id}/deliveries`)).json().data;
      // final after one attempt: retrying a refused address cannot help
      expect(deliveries).toEqual([expect.objectContaining({ event: 'approval.requested', status: 'failed', attempts: 1, last_error: `http://rebind.example.test:${port} resolves to 169.254.169.254, a link-local or cloud metadata address; integrations may not point there. Use the address of your Jenkins server` })]);
    }, { timeout: 20_000 });
    await vi.waitFor(async () => {
      const deliveries = (await team.call(admin, 'GET', `/integrations/${good.json().id}/deliveries`)).json().data;
      expect(deliveries).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1, response_status: 200 })]);
    }, { timeout: 20_000 });
    expect(received.map((entry) => entry.path)).toEqual(['/good']);
    // the third answer, the refused one, was the connection's own lookup
    expect(resolver.asked.filter((host) => host === 'rebind.example.test')).toHaveLength(3);
  });
});
