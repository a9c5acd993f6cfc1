/**
 * Outgoing webhooks (issue 24) meet verification (issue 21): a webhook subscribed to `tool.verification` is told the
 * verdict of an approved change — conversation link, tool, call id, outcome, summary and the (redacted) evidence —
 * once, signed like every delivery; the `verifying` step is not sent, and a webhook not subscribed hears nothing.
 * kube-sim is the cluster, the real MCP server verifies, llm-sim is the model, the receiver listens on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { webhookSignatureProblem } from '../../src/app/integrations/webhook/webhook-signature.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { readSse } from '../../src/testing/read-sse.ts';
import { startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';

const SECRET = 'whsec-verification-0123456789-signing';

let cluster: LiveCluster;
let tools: ToolGateway;
let sim: LlmSim;
let lite: PGlite;
let engine: TestEngine;
let receiver: Server;
let receiverUrl: string;
const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string; path: string }> = [];

const kubectl = (...args: string[]) => cluster.kubectl(...args);
const call = (token: string, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
  engine.request({ method, url: `/api/v1${url}`, token, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  cluster = await startLiveCluster({
    name: 'webhook-verify',
    kubeSim: { settings: { readinessDelayMs: 20, startDelayMs: 10 } },
    prepare: async ({ apply, kubectl }) => {
      await apply(deploymentYaml('web'));
      await kubectl('rollout', 'status', 'deployment/web', '-n', 'default', '--timeout=60s');
    },
  });
  tools = cluster.engineTools();
  sim = await startLlmSim({ port: 0 });
  lite = await newTestPglite();
  engine = await startTestEngine({ lite, tools, llm: simModel(sim), env: { TITLE_GENERATION_ENABLED: 'false', VERIFY_TIMEOUT_SECONDS: '60', VERIFY_HOLD_SECONDS: '1' } });
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), path: request.url ?? '' });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await lite?.close();
  await tools?.close();
  await cluster?.close();
  await sim?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('webhook tool.verification', () => {
  it("an approved scale's verdict is delivered, signed, to the webhook that subscribed to it (and only the verdict)", async () => {
    const admin = await engine.signUp('admin@example.com');
    const subscribed = await call(admin, 'POST', '/integrations', { provider: 'webhook', name: 'verdicts', metadata: { url: `${receiverUrl}/verdicts`, events: ['tool.verification'] }, credentials: { secret: SECRET } });
    expect(subscribed.statusCode, subscribed.body).toBe(201);
    const other = await call(admin, 'POST', '/integrations', { provider: 'webhook', name: 'decisions', metadata: { url: `${receiverUrl}/decisions`, events: ['approval.decided'] }, credentials: { secret: 'whsec-another-0123456789-signing' } });
    expect(other.statusCode, other.body).toBe(201);

    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', namespace: 'default', replicas: 3 } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'Scaled web to 3.' },
      ],
    });
    const chat = await readSse(new Response((await call(admin, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'scale web to 3' }] })).body));
    const awaiting = chat.find((frame) => frame.event === 'tool.awaiting_approval')!;
    const conversationId = String(awaiting.data['conversation_id']);
    const decided = await readSse(new Response((await call(admin, 'POST', '/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: awaiting.data['args_hash'] })).body));
    const streamed = decided.filter((frame) => frame.event === 'tool.verification').map((frame) => frame.data);
    expect(streamed.map((event) => event['outcome'])).toEqual(['verifying', 'verified']);
    expect(await kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}')).toBe('3');

    await vi.waitFor(() => expect(received.filter((item) => item.path === '/verdicts')).toHaveLength(1), { timeout: 30_000 });
    await vi.waitFor(() => expect(received.filter((item) => item.path === '/decisions')).toHaveLength(1), { timeout: 30_000 });
    const delivery = received.find((item) => item.path === '/verdicts')!;
    expect(delivery.headers['x-skyflo-event']).toBe('tool.verification');
    expect(webhookSignatureProblem(SECRET, String(delivery.headers['x-skyflo-signature']), delivery.body)).toBeUndefined();
    expect(webhookSignatureProblem('whsec-another-0123456789-signing', String(delivery.headers['x-skyflo-signature']), delivery.body)).toBe('signature does not match the body');
    const payload = JSON.parse(delivery.body);
    expect(payload).toMatchObject({
      event: 'tool.verification',
      data: { type: 'tool.verification', conversation_id: conversationId, conversation_url: `/chat/${conversationId}`, call_id: 'call_scale', tool: 'k8s_scale', outcome: 'verified', summary: streamed[1]!['summary'] },
    });
    expect(payload.data.evidence).toEqual(streamed[1]!['evidence']);
    // the webhook subscribed to decisions only was never sent a verification
    expect(received.filter((item) => item.headers['x-skyflo-event'] === 'tool.verification').map((item) => item.path)).toEqual(['/verdicts']);

    await vi.waitFor(async () => {
      const deliveries = (await call(admin, 'GET', `/integrations/${subscribed.json().id}/deliveries`)).json().data;
      expect(deliveries).toEqual([expect.objectContaining({ event: 'tool.verification', status: 'delivered', attempts: 1, response_status: 200 })]);
      const audit = (await lite.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_events WHERE action = 'webhook.delivered' ORDER BY sequence")).rows;
      expect(audit.map((row) => row.details['event'])).toContain('tool.verification');
    });
  }, 120_000);
});
