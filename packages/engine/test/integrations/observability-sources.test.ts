/**
 * Prometheus and Loki data sources (issue 36) against kube-sim's own APIs on loopback: an admin adds them only with
 * credentials the source accepts; the token is sealed at rest and never returned, streamed, logged, audited or shown
 * to the model; once configured the model is offered the observability tools, and a conversation in which the
 * scripted model calls prometheus_query_range gets the per-series summary (the UI gets the series).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const metricsToken = 'prometheus-read-token-4b1d9e7a2c';
const logLines: string[] = [];

let lite: PGlite;
let query: (text: string, params?: unknown[]) => Promise<unknown[]>;
let tools: ToolGateway;
let engine: TestEngine;
let sim: KubeSim;
let llm: LlmSim;
let admin: string;
let kubeDir: string;

const request = (options: Parameters<TestEngine['request']>[0]) => engine.request(options);
const chat = async (text: string): Promise<SseFrame[]> => {
  const response = await request({ method: 'POST', url: '/api/v1/agent/chat', token: admin, payload: { messages: [{ role: 'user', content: text }] } });
  expect(response.statusCode, response.body).toBe(200);
  return readSse(new Response(response.body));
};
const source = (provider: 'prometheus' | 'loki', token = metricsToken) => ({ provider, metadata: { api_url: sim.observability!.url }, credentials: { api_token: token } });
const p99 = 'histogram_quantile(0.99, sum by (le, app) (rate(http_request_duration_seconds_bucket{namespace="prod"}[5m])))';

beforeAll(async () => {
  kubeDir = await mkdtemp(path.join(tmpdir(), 'skyflo-observability-'));
  const kubeconfigPath = path.join(kubeDir, 'kubeconfig');
  // the engine's one cluster is kube-sim's context, "kube-sim"
  sim = await startKubeSim({ scenario: 'demo', observability: { bearerToken: metricsToken }, kubeconfigPath });
  llm = await startLlmSim({ port: 0 });
  ({ lite, query } = await createTestPglite());
  tools = createToolGateway({ embedded: { kubeconfigPath } });
  engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false' }, tools, llm: simModel(llm), logger: { level: 'debug', stream: { write: (line: string) => logLines.push(line) } } });
  admin = await engine.signUp('admin@example.com');
});

afterAll(async () => {
  await engine?.close();
  await tools?.close();
  await lite?.close();
  await sim?.close();
  await llm?.close();
  if (kubeDir) await rm(kubeDir, { recursive: true, force: true });
});

describe('Prometheus and Loki data sources', () => {
  it('hides the observability tools until a data source is configured', async () => {
    llm.reset({ rules: [{ match: { sequence: 1 }, reply: 'ok' }] });
    await chat('hello');
    expect(llm.calls[0]!.toolNames.filter((name) => /^(prometheus|loki)_/.test(name))).toEqual([]);
  });

  it('refuses a token the source does not accept, saying why, and saves nothing', async () => {
    const refused = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: source('prometheus', 'wrong-token') });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toMatch(/the Prometheus credentials were not saved: the credentials were refused \(HTTP 401\)/);
    expect(await query('select id from integrations')).toEqual([]);
  });

  it('saves Prometheus and Loki with the token sealed and never shown', async () => {
    for (const provider of ['prometheus', 'loki'] as const) {
      const created = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: source(provider) });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({ provider, name: provider === 'prometheus' ? 'Prometheus' : 'Loki', status: 'active', credentials: { set: true, token_last4: metricsToken.slice(-4) } });
    }
    const listed = await request({ method: 'GET', url: '/api/v1/integrations', token: admin });
    expect(listed.json().map((integration: { provider: string }) => integration.provider).sort()).toEqual(['loki', 'prometheus']);
    expect(listed.body).not.toContain(metricsToken);
    const rows = await query('select credentials_sealed, username from integrations');
    expect(JSON.stringify(rows)).not.toContain(metricsToken);
    const tested = await request({ method: 'POST', url: `/api/v1/integrations/${listed.json()[0].id}/test`, token: admin });
    expect(tested.json()).toMatchObject({ ok: true });
    // one active source per provider and cluster
    const second = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: source('prometheus') });
    expect(second.statusCode).toBe(409);
  });

  it('refuses a source for a cluster Skyflo does not know, naming the clusters; saves one for a known cluster (issue 74)', async () => {
    const unknown = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { ...source('loki'), metadata: { api_url: sim.observability!.url, cluster: 'prod-eu' } } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().detail).toBe('metadata.cluster "prod-eu" is not a cluster Skyflo knows; the clusters are kube-sim (leave metadata.cluster out to serve every cluster)');
    expect(await query("select id from integrations where cluster = 'prod-eu'")).toEqual([]);
    const known = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { ...source('loki'), name: 'Loki (kube-sim)', metadata: { api_url: sim.observability!.url, cluster: 'kube-sim' } } });
    expect(known.statusCode, known.body).toBe(201);
    expect(known.json().metadata).toMatchObject({ cluster: 'kube-sim' });
    expect((await request({ method: 'DELETE', url: `/api/v1/integrations/${known.json().id}`, token: admin })).statusCode).toBe(204);
  });

  it('keeps a Grafana URL on a Prometheus source only, http(s) only, and returns it', async () => {
    const grafana = 'https://grafana.example.com/';
    const byProvider = async () => Object.fromEntries(((await request({ method: 'GET', url: '/api/v1/integrations', token: admin })).json() as Array<{ provider: string; id: string; metadata: Record<string, string> }>).map((item) => [item.provider, item]));
    const { prometheus, loki } = await byProvider();
    const saved = await request({ method: 'PATCH', url: `/api/v1/integrations/${prometheus!.id}`, token: admin, payload: { metadata: { grafana_url: grafana } } });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().metadata).toMatchObject({ api_url: sim.observability!.url, grafana_url: grafana });
    expect((await byProvider())['prometheus']!.metadata['grafana_url']).toBe(grafana);
    expect(await query("select provider, grafana_url from integrations where grafana_url is not null")).toEqual([{ provider: 'prometheus', grafana_url: grafana }]);
    // a link users click: no javascript: or other schemes
    for (const bad of ['javascript:alert(1)', 'ftp://grafana.example.com', 'not a url']) {
      const refused = await request({ method: 'PATCH', url: `/api/v1/integrations/${prometheus!.id}`, token: admin, payload: { metadata: { grafana_url: bad } } });
      expect(refused.statusCode, bad).toBe(400);
      expect(refused.body).toContain('metadata.grafana_url must');
    }
    // Loki and Jenkins have no chart: refused with the reason, on update and on create
    const onLoki = await request({ method: 'PATCH', url: `/api/v1/integrations/${loki!.id}`, token: admin, payload: { metadata: { grafana_url: grafana } } });
    expect(onLoki.statusCode).toBe(400);
    expect(onLoki.json().detail).toContain('metadata.grafana_url applies to prometheus data sources only');
    for (const payload of [
      { ...source('loki'), metadata: { api_url: sim.observability!.url, cluster: 'other', grafana_url: grafana } },
      { provider: 'jenkins', metadata: { api_url: 'https://jenkins.example.com', grafana_url: grafana }, credentials: { username: 'ci', api_token: 'jenkins-token' } },
    ]) {
      const created = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload });
      expect(created.statusCode, created.body).toBe(400);
      expect(created.body).toContain('metadata.grafana_url applies to prometheus data sources only');
    }
    expect(await query("select provider, grafana_url from integrations where grafana_url is not null")).toEqual([{ provider: 'prometheus', grafana_url: grafana }]);
    // the change is in the audit trail
    const audit = (await query("select details from audit_events where action = 'integration.updated' order by sequence desc limit 1")) as Array<{ details: Record<string, unknown> }>;
    expect(JSON.stringify(audit[0]!.details)).toContain(grafana);
    // null removes it (the form's emptied field); set again for the chart below
    const cleared = await request({ method: 'PATCH', url: `/api/v1/integrations/${prometheus!.id}`, token: admin, payload: { metadata: { grafana_url: null } } });
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json().metadata).not.toHaveProperty('grafana_url');
    expect(await query('select grafana_url from integrations where grafana_url is not null')).toEqual([]);
    expect((await request({ method: 'PATCH', url: `/api/v1/integrations/${prometheus!.id}`, token: admin, payload: { metadata: { grafana_url: grafana } } })).statusCode).toBe(200);
  });

  it('a conversation where the model calls prometheus_query_range gets the summary, worst series first', async () => {
    llm.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_p99', name: 'prometheus_query_range', arguments: { query: p99, start: '30m' } }] } },
        { match: { toolName: 'prometheus_query_range' }, reply: 'checkout has the highest p99 latency.' },
      ],
    });
    const before = sim.observability!.requests.length;
    const frames = await chat('why did checkout get slower?');
    // offered without load_toolset, read-only, and run without an approval
    expect(llm.calls[0]!.toolNames).toEqual(expect.arrayContaining(['prometheus_query', 'prometheus_query_range', 'prometheus_alerts', 'prometheus_series', 'loki_query_range']));
    expect(frames.some((frame) => frame.event === 'tool.awaiting_approval')).toBe(false);
    const result = frames.find((frame) => frame.event === 'tool.result' && frame.data['tool'] === 'prometheus_query_range');
    expect(result, JSON.stringify(frames.map((frame) => frame.event))).toBeDefined();
    // the card's chart: the series themselves, the query and the Prometheus to open it in
    const chart = result!.data['chart'] as { query: string; series: Array<{ metric: Record<string, string>; values: unknown[] }>; source_url: string; grafana_url?: string };
    expect(chart.query).toBe(p99);
    expect(chart.source_url).toBe(sim.observability!.url);
    // and the Grafana configured in front of that Prometheus, for "Open in Grafana"
    expect(chart.grafana_url).toBe('https://grafana.example.com/');
    expect(chart.series.map((series) => series.metric['app'])).toContain('checkout');
    expect(chart.series[0]!.values.length).toBeGreaterThan(10);
    // what the model read back: one line per series, not the points
    const toolMessage = JSON.stringify(llm.calls[1]!.body['messages']);
    expect(toolMessage).toMatch(/\d+ series, highest peak first:/);
    expect(toolMessage).toMatch(/\{app=\\+"[a-z]+\\+"\}  min [0-9.]+  max [0-9.]+  last [0-9.]+/);
    expect(toolMessage).not.toContain('"values"');
    // the request reached kube-sim's Prometheus, authenticated
    expect(sim.observability!.requests.slice(before)).toContainEqual({ method: 'GET', path: '/api/v1/query_range', status: 200 });
    expect(frames.find((frame) => frame.event === 'completed')).toBeDefined();

    // the token is nowhere a user, the model or an operator could read it
    expect(JSON.stringify(frames)).not.toContain(metricsToken);
    expect(JSON.stringify(llm.calls.map((call) => call.body))).not.toContain(metricsToken);
    expect(logLines.join('\n')).not.toContain(metricsToken);
    const conversationId = String(frames[0]!.data['conversation_id']);
    const stored = await request({ method: 'GET', url: `/api/v1/conversations/${conversationId}`, token: admin });
    expect(stored.body).toContain('prometheus_query_range');
    // a reloaded conversation still draws the chart
    const storedTool = JSON.stringify(stored.json()).match(/"chart":(\{.*?"source_url":"[^"]+"[^}]*\})/);
    expect(storedTool?.[1]).toContain('"query":');
    expect(stored.body).not.toContain(metricsToken);
    const audit = await query("select details from audit_events where action like 'integration.%' or action like 'tool.%'");
    expect(JSON.stringify(audit)).not.toContain(metricsToken);
  });

  it('skyflo sandbox provisions its own source without an admin, re-points it on restart, and leaves an admin\'s alone', async () => {
    const url = sim.observability!.url;
    const provision = (name: string) => engine.engine.integrations.provisionDataSource({ provider: 'prometheus', name, apiUrl: url, cluster: 'kube-sim', credentials: { username: '', api_token: metricsToken } });
    const created = await provision('Prometheus (kube-sim)');
    expect(created).toMatchObject({ provider: 'prometheus', name: 'Prometheus (kube-sim)', metadata: { api_url: url, cluster: 'kube-sim' }, status: 'active' });
    // a restarted sandbox: the same name is re-pointed, not duplicated
    expect(await provision('Prometheus (kube-sim)')).toMatchObject({ id: (created as { id: string }).id });
    // another source already serves that cluster (an admin's): left alone
    await query("update integrations set name = 'Team Prometheus' where cluster = 'kube-sim'");
    expect(await provision('Prometheus (kube-sim)')).toBeUndefined();
    expect(((await query("select name from integrations where cluster = 'kube-sim'")) as Array<{ name: string }>).map((row) => row.name)).toEqual(['Team Prometheus']);
    const audit = (await query("select action, actor_id, details from audit_events where details->>'by' = 'system' order by sequence")) as Array<{ action: string; actor_id: string | null }>;
    expect(audit.map((entry) => [entry.action, entry.actor_id])).toEqual([
      ['integration.created', null],
      ['integration.updated', null],
    ]);
    expect(JSON.stringify(audit)).not.toContain(metricsToken);
    await query("delete from integrations where cluster = 'kube-sim'");
  });

  it('disabling the sources hides the tools again', async () => {
    const listed = (await request({ method: 'GET', url: '/api/v1/integrations', token: admin })).json() as Array<{ id: string }>;
    for (const integration of listed) await request({ method: 'PATCH', url: `/api/v1/integrations/${integration.id}`, token: admin, payload: { status: 'disabled' } });
    llm.reset({ rules: [{ match: { sequence: 1 }, reply: 'ok' }] });
    await chat('hello again');
    expect(llm.calls[0]!.toolNames.filter((name) => /^(prometheus|loki)_/.test(name))).toEqual([]);
  });
});
