/**
 * X-Scope-OrgID per data source (issue 78 item 9): a multi-tenant Loki (kube-sim's, with a tenant) answers 401
 * "no org id" to a request without one and keeps each tenant's logs apart. An admin saves the Loki data source with
 * its tenant (metadata.org_id): the check before saving and every loki_query_range the model runs send it; without
 * it the source is refused with words that say so, and another tenant finds none of these logs.
 */
import type { PGlite } from '@electric-sql/pglite';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { readSse } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const logsToken = 'loki-read-token-8d2e6f1a9b';
let lite: PGlite;
let tools: ToolGateway;
let engine: TestEngine;
let sim: KubeSim;
let llm: LlmSim;
let admin: string;

const request = (options: Parameters<TestEngine['request']>[0]) => engine.request(options);
/** the model runs one loki_query_range; answers what the tool returned */
async function askLogs(): Promise<string> {
  llm.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_logs', name: 'loki_query_range', arguments: { query: '{namespace="prod", app="checkout"}', limit: 5 } }] } },
      { match: { toolName: 'loki_query_range' }, reply: 'read' },
    ],
  });
  const response = await request({ method: 'POST', url: '/api/v1/agent/chat', token: admin, payload: { messages: [{ role: 'user', content: 'what do the checkout logs say?' }] } });
  expect(response.statusCode, response.body).toBe(200);
  const frames = await readSse(new Response(response.body));
  const result = frames.find((frame) => frame.event === 'tool.result' && frame.data['call_id'] === 'call_logs');
  return JSON.stringify(result?.data['result'] ?? frames.find((frame) => frame.event === 'tool.error')?.data);
}

beforeAll(async () => {
  sim = await startKubeSim({ scenario: 'demo', observability: { bearerToken: logsToken, lokiTenant: 'team-a' } });
  llm = await startLlmSim({ port: 0 });
  ({ lite } = await createTestPglite());
  tools = createToolGateway({ embedded: {} });
  engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false' }, tools, llm: simModel(llm) });
  admin = await engine.signUp('admin@example.com');
});

afterAll(async () => {
  await engine?.close();
  await tools?.close();
  await lite?.close();
  await sim?.close();
  await llm?.close();
});

describe('a multi-tenant Loki', () => {
  it('is refused without a tenant, saved with one, and queried as that tenant; another tenant finds nothing', async () => {
    const without = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { provider: 'loki', metadata: { api_url: sim.observability!.url }, credentials: { api_token: logsToken } } });
    expect(without.statusCode).toBe(400);
    expect(without.json().detail).toMatch(/multi-tenant and asks for a tenant: set metadata\.org_id \(sent as X-Scope-OrgID\)/);
    const bad = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { provider: 'loki', metadata: { api_url: sim.observability!.url, org_id: 'team-a\r\nX-Evil: 1' }, credentials: { api_token: logsToken } } });
    expect(bad.statusCode).toBe(400);

    const saved = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { provider: 'loki', metadata: { api_url: sim.observability!.url, org_id: 'team-a' }, credentials: { api_token: logsToken } } });
    expect(saved.statusCode, saved.body).toBe(201);
    expect(saved.json().metadata).toMatchObject({ org_id: 'team-a' });
    const id = saved.json().id as string;
    // the demo's checkout crash-loops: its logs are there for team-a
    await expect.poll(askLogs, { timeout: 30_000, interval: 500 }).toMatch(/\d+ line\(s\) from \d+ stream\(s\), newest first/);

    const moved = await request({ method: 'PATCH', url: `/api/v1/integrations/${id}`, token: admin, payload: { metadata: { org_id: 'team-b' } } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await askLogs()).toMatch(/No log lines matched in this range/);

    const cleared = await request({ method: 'PATCH', url: `/api/v1/integrations/${id}`, token: admin, payload: { metadata: { org_id: null } } });
    expect(cleared.statusCode).toBe(400);
    expect(cleared.json().detail).toMatch(/set metadata\.org_id/);
  });
});
